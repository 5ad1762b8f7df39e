/** `cleanroom query reject`: reject a query version. */
import type { Command } from "commander";
import type { QueryVersion } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { versionNumber } from "./shared.js";
import { castBallot } from "./vote.js";

export function runReject(
  ctx: Context,
  contractId: string,
  queryId: string,
  options: { queryVersion?: string },
): Promise<QueryVersion> {
  return castBallot(ctx, contractId, queryId, "reject", options);
}

export function queryRejectCommand(): Command {
  return defineCommand("reject", {
    summary: "reject a query version (as the owner of a dataset it uses)",
    description: `Votes against a query version: one approver's rejection rejects it at once, and it
      can never run. The proposer may propose a new version. The latest version unless --query-version
      names another.`,
    examples: [
      "cleanroom query reject analytics overlap",
      "cleanroom query reject analytics overlap --query-version 2 --json",
    ],
  })
    .argument("<contractId>", "the contract")
    .argument("<queryId>", "the query")
    .option("--query-version <n>", "the version to reject (default: the latest)", versionNumber)
    .action(
      async (
        contractId: string,
        queryId: string,
        options: { queryVersion?: string },
        command: Command,
      ) => {
        await runReject(contextOf(command), contractId, queryId, options);
      },
    );
}
