/**
 * `cleanroom dataset list` and `show`: what the consortium knows of datasets, and for the ones
 * this profile owns, who keeps their key (the profile or Key Vault; never the key).
 */
import type { Command } from "commander";
import type { DatasetRecord } from "../../../contracts/src/dataset.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import type { Profile } from "../../profile/store.js";
import {
  checkId,
  describeCustody,
  describeLocation,
  isNotFound,
  keyCustody,
  type KeyCustody,
} from "./common.js";

/** A published dataset, with where its key is kept when this profile owns it. */
export type DatasetView = DatasetRecord & { keyCustody?: KeyCustody };

function withCustody(ctx: Context, profile: Profile, record: DatasetRecord): DatasetView {
  const file = ctx.store.readDatasetKey(profile, record.contractId, record.datasetId);
  return file === undefined ? record : { ...record, keyCustody: keyCustody(file) };
}

export async function runList(ctx: Context, contractId: string): Promise<DatasetView[]> {
  checkId(contractId, "contract id");
  const profile = ctx.profile();
  const client = ctx.governance(profile);
  try {
    const all: DatasetView[] = [];
    let start: string | undefined;
    do {
      const page = await client.app.listDatasets(contractId, start === undefined ? {} : { start });
      all.push(...page.value.map((record) => withCustody(ctx, profile, record)));
      start = page.nextLink
        ? (new URL(page.nextLink, "https://x").searchParams.get("start") ?? undefined)
        : undefined;
    } while (start !== undefined);
    ctx.out.table(
      all,
      [
        { header: "DATASET", value: (d) => d.datasetId },
        { header: "REVISION", value: (d) => String(d.revision) },
        {
          header: "OWNER",
          value: (d) => (d.owner === profile.id ? "you" : `${d.owner.slice(0, 12)}…`),
        },
        { header: "FORMAT", value: (d) => d.document.format },
        { header: "LOCATION", value: (d) => describeLocation(d.document.location) },
        {
          header: "KEY",
          value: (d) =>
            d.keyCustody === undefined
              ? "-"
              : d.keyCustody.kind === "profile"
                ? "profile"
                : `key-vault:${d.keyCustody.vaultUrl}`,
        },
      ],
      all,
    );
    return all;
  } finally {
    client.close();
  }
}

export async function runShow(
  ctx: Context,
  contractId: string,
  datasetId: string,
): Promise<DatasetView> {
  checkId(contractId, "contract id");
  checkId(datasetId, "dataset id");
  const profile = ctx.profile();
  const client = ctx.governance(profile);
  try {
    let record: DatasetView;
    try {
      record = withCustody(ctx, profile, await client.app.dataset(contractId, datasetId));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const local = ctx.store.readDatasetKey(profile, contractId, datasetId) !== undefined;
      throw new UserError(
        `dataset ${contractId}/${datasetId} is not published`,
        local
          ? `publish it with \`cleanroom dataset publish ${contractId} ${datasetId}\``
          : `see the published ones with \`cleanroom dataset list ${contractId}\``,
        "NotFound",
      );
    }
    const d = record.document;
    ctx.out.result(
      record,
      [
        `${contractId}/${datasetId} revision ${record.revision}, owner ${record.owner === profile.id ? "you" : record.owner}`,
        `  location: ${describeLocation(d.location)} (${d.format})`,
        `  schema:   ${d.schema.map((f) => `${f.name}:${f.type}`).join(", ")}`,
        `  allowed:  ${d.allowedFields.join(", ")}`,
        `  key:      wrapped to ${d.encryption.kekId}`,
        ...(record.keyCustody ? [`  kept by:  ${describeCustody(record.keyCustody)}`] : []),
      ].join("\n"),
    );
    return record;
  } finally {
    client.close();
  }
}

export function datasetListCommand(): Command {
  return defineCommand("list", {
    summary: "list the datasets published in a contract",
    description: `Lists every dataset published in the contract: its current revision, owner,
      format and location, and for the datasets you own who keeps their key (your profile, or
      the Key Vault it is in). Keys are never shown (only governance can unwrap them).`,
    examples: ["cleanroom dataset list collab", "cleanroom dataset list collab --json"],
  })
    .argument("<contractId>", "the contract")
    .action(async (contractId: string, _options: unknown, command: Command) => {
      await runList(contextOf(command), contractId);
    });
}

export function datasetShowCommand(): Command {
  return defineCommand("show", {
    summary: "show a published dataset",
    description: `Shows the dataset's current published revision: owner, location, format,
      schema, the fields queries may read, the key-encryption key its key is wrapped to, and,
      if you own it, who keeps its key: your profile, or a Key Vault secret (vault, name,
      version). The key itself is never shown.`,
    examples: ["cleanroom dataset show collab sales", "cleanroom dataset show collab sales --json"],
  })
    .argument("<contractId>", "the contract")
    .argument("<datasetId>", "the dataset")
    .action(async (contractId: string, datasetId: string, _options: unknown, command: Command) => {
      await runShow(contextOf(command), contractId, datasetId);
    });
}
