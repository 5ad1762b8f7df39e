/** `cleanroom dataset list` and `show`: what the consortium knows of datasets. */
import type { Command } from "commander";
import type { DatasetRecord } from "../../../contracts/src/dataset.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { checkId, describeLocation, isNotFound } from "./common.js";

export async function runList(ctx: Context, contractId: string): Promise<DatasetRecord[]> {
  checkId(contractId, "contract id");
  const profile = ctx.profile();
  const client = ctx.governance(profile);
  try {
    const all: DatasetRecord[] = [];
    let start: string | undefined;
    do {
      const page = await client.app.listDatasets(contractId, start === undefined ? {} : { start });
      all.push(...page.value);
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
): Promise<DatasetRecord> {
  checkId(contractId, "contract id");
  checkId(datasetId, "dataset id");
  const profile = ctx.profile();
  const client = ctx.governance(profile);
  try {
    let record: DatasetRecord;
    try {
      record = await client.app.dataset(contractId, datasetId);
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
      format and location. Keys are never shown (only governance can unwrap them).`,
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
      schema, the fields queries may read, and the key-encryption key its key is wrapped to.`,
    examples: ["cleanroom dataset show collab sales", "cleanroom dataset show collab sales --json"],
  })
    .argument("<contractId>", "the contract")
    .argument("<datasetId>", "the dataset")
    .action(async (contractId: string, datasetId: string, _options: unknown, command: Command) => {
      await runShow(contextOf(command), contractId, datasetId);
    });
}
