/** `cleanroom run list`: a contract's runs. */
import type { Command } from "commander";
import type { RunSummary } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { short } from "./shared.js";
import { hinted } from "../query/hints.js";

export async function runList(ctx: Context, contractId: string): Promise<RunSummary[]> {
  const client = ctx.governance();
  try {
    const runs: RunSummary[] = [];
    for await (const run of client.app.items(client.app.listRuns(contractId))) runs.push(run);
    if (runs.length === 0 && !ctx.out.json) {
      ctx.out.note(`No runs in ${contractId} yet: request one with \`cleanroom run start\`.`);
    }
    ctx.out.table(
      runs,
      [
        { header: "run", value: (r) => r.runId },
        { header: "query", value: (r) => `${r.queryId} v${r.queryVersion}` },
        { header: "state", value: (r) => r.state },
        { header: "requested", value: (r) => r.requestedAt },
        { header: "by", value: (r) => short(r.requestedBy) },
      ],
      runs,
    );
    return runs;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

export function runListCommand(): Command {
  return defineCommand("list", {
    summary: "list a contract's runs",
    description: `Lists every run of a contract, oldest first, with its query version, state, when
      it was requested and by whom. \`cleanroom run status\` shows one in full.`,
    examples: ["cleanroom run list analytics", "cleanroom run list analytics --json"],
  })
    .argument("<contractId>", "the contract")
    .action(async (contractId: string, _options: unknown, command: Command) => {
      await runList(contextOf(command), contractId);
    });
}
