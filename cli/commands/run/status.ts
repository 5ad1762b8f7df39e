/** `cleanroom run status`: one run, its clean room, progress, result or failure. */
import type { Command } from "commander";
import type { Run } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { runDetails } from "./shared.js";
import { hinted } from "../query/hints.js";

export async function runStatus(ctx: Context, contractId: string, runId: string): Promise<Run> {
  const client = ctx.governance();
  try {
    const run = await client.app.run(contractId, runId);
    ctx.out.result(run, runDetails(run).join("\n"));
    return run;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

export function runStatusCommand(): Command {
  return defineCommand("status", {
    summary: "show a run's state, clean room and result",
    description: `Shows one run: its state (Requested, Claimed, Running, Completed, Failed), the
      attested clean room that claimed it (platform, measurement, host data), its progress, and
      its row counts and output digests once completed, or why it failed.`,
    examples: ["cleanroom run status analytics 3", "cleanroom run status analytics 3 --json"],
  })
    .argument("<contractId>", "the contract")
    .argument("<runId>", "the run")
    .action(async (contractId: string, runId: string, _options: unknown, command: Command) => {
      await runStatus(contextOf(command), contractId, runId);
    });
}
