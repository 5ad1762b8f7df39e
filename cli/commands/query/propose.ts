/** `cleanroom query propose`: as its proposer, propose a new version of an existing query. */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import { putQueryVersion } from "./create.js";
import { withDocumentOptions, type QueryDocumentOptions } from "./shared.js";

export function queryProposeCommand(): Command {
  return withDocumentOptions(
    defineCommand("propose", {
      summary: "propose a new version of a query you proposed",
      description: `Replaces the query's SQL, inputs, output and rules with a new version (the next
        number after its latest). Every version needs its approvers' votes again, and older
        versions that were still waiting for votes become stale. Only the query's proposer may do
        this. Give the new version with the same options as \`query create\`, or as a YAML or
        JSON file with --file.`,
      examples: [
        "cleanroom query propose analytics overlap --file overlap-v2.yaml",
        "cleanroom query propose analytics overlap --sql overlap-v2.sql --input northwind-audience:audience --input woodgrove-customers:customers --output woodgrove-output --min-group-size 20",
      ],
    }),
  )
    .argument("<contractId>", "the contract")
    .argument("<queryId>", "the query")
    .action(
      async (
        contractId: string,
        queryId: string,
        options: QueryDocumentOptions,
        command: Command,
      ) => {
        await putQueryVersion(contextOf(command), contractId, queryId, options, true);
      },
    );
}
