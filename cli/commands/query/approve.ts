/** `cleanroom query approve`: approve a query version, optionally for a while or a few runs. */
import type { Command } from "commander";
import type { QueryVersion } from "../../../client/governance/index.js";
import { contextOf, defineCommand, integer } from "../../command.js";
import type { Context } from "../../context.js";
import { duration, versionNumber } from "./shared.js";
import { castBallot, type BallotOptions } from "./vote.js";

export function runApprove(
  ctx: Context,
  contractId: string,
  queryId: string,
  options: BallotOptions,
): Promise<QueryVersion> {
  return castBallot(ctx, contractId, queryId, "accept", options);
}

export function queryApproveCommand(): Command {
  return defineCommand("approve", {
    summary: "approve a query version (as the owner of a dataset it uses)",
    description: `Votes for a query version. It is Accepted once every owner of a dataset it
      reads or writes approves it. Approving also consents to its runs; limit that with --expires
      (after which your approval allows no run) and --runs (how many runs it allows). A version
      runs under the tightest limits among its approvals. Review it first with
      \`cleanroom query review\`. The latest version unless --query-version names another.`,
    examples: [
      "cleanroom query approve analytics overlap",
      "cleanroom query approve analytics overlap --query-version 2 --expires 7d --runs 10",
    ],
  })
    .argument("<contractId>", "the contract")
    .argument("<queryId>", "the query")
    .option("--query-version <n>", "the version to approve (default: the latest)", versionNumber)
    .option("--expires <duration>", "how long the approval lasts: 90m, 12h, 7d, 2w", duration)
    .option("--runs <n>", "how many runs the approval allows", integer(1, 1_000_000_000))
    .action(
      async (contractId: string, queryId: string, options: BallotOptions, command: Command) => {
        await runApprove(contextOf(command), contractId, queryId, options);
      },
    );
}
