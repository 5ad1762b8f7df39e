/** `cleanroom dataset publish`: wraps the DEK to governance's KEK and publishes the document. */
import type { Command } from "commander";
import { constants, publicEncrypt } from "node:crypto";
import type { DatasetDocument, DatasetRecord } from "../../../contracts/src/dataset.js";
import { base64Encode } from "../../../contracts/src/encoding.js";
import type { Kek } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { datasetDek, describeLocation, isNotFound, ownedDataset } from "./common.js";

export interface Published {
  contractId: string;
  datasetId: string;
  revision: number;
  version: string;
  kekId: string;
  owner: string;
}

export async function runPublish(
  ctx: Context,
  contractId: string,
  datasetId: string,
): Promise<Published> {
  const profile = ctx.profile();
  const file = ownedDataset(ctx, profile, contractId, datasetId);
  const dek = await datasetDek(file);
  const client = ctx.governance(profile);
  try {
    let kek: Kek;
    try {
      kek = await client.app.currentKek();
    } catch (error) {
      if (!isNotFound(error)) throw error;
      throw new UserError(
        "the consortium has no key-encryption key yet",
        `ask a member to run \`cleanroom key create\`, then run \`cleanroom dataset publish ${contractId} ${datasetId}\` again`,
        "NoKek",
      );
    }
    // RSA-OAEP with SHA-256 for the hash and MGF1 (`RSA-OAEP-256`, contracts/src/dataset.ts).
    const wrappedDek = publicEncrypt(
      { key: kek.publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      dek,
    );
    const document = {
      ...file.document,
      encryption: { wrappedDek: base64Encode(wrappedDek), kekId: kek.kekId },
    } as unknown as DatasetDocument;
    let previous: DatasetRecord | undefined;
    try {
      previous = await client.app.dataset(contractId, datasetId);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const record = await client.app.publishDataset(
      contractId,
      datasetId,
      document,
      previous?.version,
    );
    const view: Published = {
      contractId,
      datasetId,
      revision: record.revision,
      version: record.version,
      kekId: kek.kekId,
      owner: record.owner,
    };
    ctx.out.result(
      view,
      `Published dataset ${contractId}/${datasetId} revision ${record.revision} (${describeLocation(document.location)}), key wrapped to ${kek.kekId}`,
    );
    return view;
  } finally {
    client.close();
  }
}

export function datasetPublishCommand(): Command {
  return defineCommand("publish", {
    summary: "publish the dataset to the consortium",
    description: `Wraps the dataset's key to the consortium's current key-encryption key
      (RSA-OAEP-256: only governance can unwrap it, and releases it only to an attested clean
      room running an approved query) and publishes the dataset document. You become its owner;
      publishing again makes a new revision.`,
    examples: [
      "cleanroom dataset publish collab sales",
      "cleanroom dataset publish collab sales --json",
    ],
  })
    .argument("<contractId>", "the contract (you must be one of its participants)")
    .argument("<datasetId>", "the dataset created with `cleanroom dataset create`")
    .action(async (contractId: string, datasetId: string, _options: unknown, command: Command) => {
      await runPublish(contextOf(command), contractId, datasetId);
    });
}
