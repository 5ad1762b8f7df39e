/** `cleanroom query withdraw`: as its proposer, withdraw a query version. */
import type { Command } from "commander";
import type { QueryVersion } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { versionNumber } from "./shared.js";
import { hinted } from "./hints.js";

export async function runWithdraw(
  ctx: Context,
  contractId: string,
  queryId: string,
  options: { queryVersion?: string },
): Promise<QueryVersion> {
  const client = ctx.governance();
  try {
    const { transactionId, ...result } = await client.app.withdrawQuery(
      contractId,
      queryId,
      options.queryVersion,
    );
    ctx.out.result(
      { ...result, transactionId },
      `Withdrew query ${queryId} version ${result.version}: it is now ${result.state} and can no longer run.`,
    );
    return result;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

export function queryWithdrawCommand(): Command {
  return defineCommand("withdraw", {
    summary: "withdraw a query version you proposed",
    description: `Withdraws a query version so that it can never run, whatever its votes. Only the
      query's proposer may withdraw it. The latest version unless --query-version names another.`,
    examples: [
      "cleanroom query withdraw analytics overlap",
      "cleanroom query withdraw analytics overlap --query-version 1 --json",
    ],
  })
    .argument("<contractId>", "the contract")
    .argument("<queryId>", "the query")
    .option("--query-version <n>", "the version to withdraw (default: the latest)", versionNumber)
    .action(
      async (
        contractId: string,
        queryId: string,
        options: { queryVersion?: string },
        command: Command,
      ) => {
        await runWithdraw(contextOf(command), contractId, queryId, options);
      },
    );
}
