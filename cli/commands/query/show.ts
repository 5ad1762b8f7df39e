/** `cleanroom query show`: a query, its versions, their states and votes. */
import type { Command } from "commander";
import type { QueryView, Runnable } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { short, versionLines } from "./shared.js";
import { hinted } from "./hints.js";

export async function runQueryShow(
  ctx: Context,
  contractId: string,
  queryId: string,
): Promise<QueryView & { runnable: Runnable }> {
  const client = ctx.governance();
  try {
    const view = await client.app.query(contractId, queryId);
    const runnable = await client.app.runnable(contractId, queryId);
    const { bold, green, yellow } = ctx.out.style;
    const shown = { ...view, runnable };
    ctx.out.result(
      shown,
      [
        `${bold(`Query ${view.queryId}`)} in ${view.contractId}: latest version ${view.latestVersion}`,
        `Proposer:  ${view.proposerId}`,
        `Approvers: ${view.approverIds.map(short).join(", ")}`,
        "Versions (newest first):",
        ...versionLines(view),
        runnable.runnable
          ? `Runnable: ${green("yes")}`
          : `Runnable: ${yellow("no")} (${runnable.code ?? "refused"}: ${runnable.reason ?? "no reason given"})`,
        `See what a version does with \`cleanroom query review ${contractId} ${queryId}\`.`,
      ].join("\n"),
    );
    return shown;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

export function queryShowCommand(): Command {
  return defineCommand("show", {
    summary: "show a query's versions, states and votes",
    description: `Shows a query of a contract: who proposed it, its approvers, and each version
      (newest first) with its state (Proposed, Accepted, Rejected, Withdrawn), its votes and how
      many runs it has had, and whether a run would be allowed now (and if not, why). \`cleanroom query review\` shows what a version does.`,
    examples: [
      "cleanroom query show analytics overlap",
      "cleanroom query show analytics overlap --json",
    ],
  })
    .argument("<contractId>", "the contract")
    .argument("<queryId>", "the query")
    .action(async (contractId: string, queryId: string, _options: unknown, command: Command) => {
      await runQueryShow(contextOf(command), contractId, queryId);
    });
}
