/**
 * `cleanroom query create`: propose a new query (version 1) over a contract's datasets. Its
 * approvers are the owners of every dataset it reads or writes.
 */
import type { Command } from "commander";
import type { QueryVersion } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import {
  queryDocumentFrom,
  short,
  withDocumentOptions,
  type QueryDocumentOptions,
} from "./shared.js";
import { hinted } from "./hints.js";

/** Saves and proposes a query: version 1 when `edit` is false, else the next version. */
export async function putQueryVersion(
  ctx: Context,
  contractId: string,
  queryId: string,
  options: QueryDocumentOptions,
  edit: boolean,
): Promise<QueryVersion> {
  const document = queryDocumentFrom(options);
  const client = ctx.governance();
  try {
    let latest: string | undefined;
    if (edit) latest = String((await client.app.query(contractId, queryId)).latestVersion);
    const written = await client.app.putQuery(contractId, queryId, document, latest);
    const { transactionId, ...version } = written;
    const { bold } = ctx.out.style;
    ctx.out.result(
      { ...version, transactionId },
      [
        `Proposed query ${bold(queryId)} version ${version.version} in ${contractId} (transaction ${transactionId}).`,
        `Approvers: ${version.approvers.map(short).join(", ")}`,
        `Each approver reviews it with \`cleanroom query review ${contractId} ${queryId}\` and votes with \`cleanroom query approve ${contractId} ${queryId}\`.`,
      ].join("\n"),
    );
    return version;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

export function queryCreateCommand(): Command {
  return withDocumentOptions(
    defineCommand("create", {
      summary: "propose a new query over a contract's datasets",
      description: `Reads the SQL from a file (several statements separated by lines holding only
        ---; the last one's result is the output), names the datasets it reads (each with the view
        name the SQL uses) and the dataset it writes, and proposes it as version 1. The owners of
        those datasets are its approvers: it may run only once every one of them approves it.

        Or give the whole document — SQL segments, inputs, output, parameters, preconditions and
        thresholds — as a YAML or JSON file with --file (start from
        contracts/templates/query.yaml). The query is checked locally before it is sent, as
        governance will check it.`,
      examples: [
        "cleanroom query create analytics overlap --file contracts/templates/query.yaml",
        "cleanroom query create analytics overlap --sql overlap.sql --input northwind-audience:audience --input woodgrove-customers:customers --output woodgrove-output --min-group-size 10",
        "cleanroom query create analytics daily --sql daily.sql --input sales:sales --output report --parameter since:date --json",
      ],
    }),
  )
    .argument("<contractId>", "the contract")
    .argument("<queryId>", "a new query id (letters, digits, . _ -)")
    .action(
      async (
        contractId: string,
        queryId: string,
        options: QueryDocumentOptions,
        command: Command,
      ) => {
        await putQueryVersion(contextOf(command), contractId, queryId, options, false);
      },
    );
}
