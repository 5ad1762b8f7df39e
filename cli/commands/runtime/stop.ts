/** `cleanroom runtime stop`: stop the local clean room(s) this profile started. */
import type { Command } from "commander";
import { stopProcess } from "../../background.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { isAgent, readLaunch, runtimeWorkspace, startedContracts, writeLaunch } from "./local.js";

export interface RuntimeStopped {
  contractId: string;
  /** The pid that was stopped, or null when it was not running. */
  stopped: number | null;
  /** True when it had to be killed after the grace period. */
  killed: boolean;
}

/** How long a clean room may take to finish its current run after SIGTERM. */
const GRACE_MS = 120_000;

export async function runRuntimeStop(
  ctx: Context,
  options: { contract?: string },
): Promise<RuntimeStopped[]> {
  const profile = ctx.profile();
  const contracts =
    options.contract !== undefined ? [options.contract] : startedContracts(ctx.store, profile);
  const results: RuntimeStopped[] = [];
  for (const contractId of contracts) {
    const launch = readLaunch(runtimeWorkspace(ctx.store, profile, contractId));
    const pid = launch?.pid;
    if (launch === undefined || pid === undefined || !isAgent(pid, contractId)) {
      results.push({ contractId, stopped: null, killed: false });
    } else {
      ctx.out.note(`Stopping the clean room for ${contractId} (pid ${pid}) …`);
      const how = await stopProcess(pid, GRACE_MS);
      results.push({ contractId, stopped: pid, killed: how === "killed" });
    }
    if (launch?.pid !== undefined) {
      delete launch.pid;
      writeLaunch(launch);
    }
  }
  const lines = results.map((r) =>
    r.stopped === null
      ? `No clean room is running for ${r.contractId}.`
      : `Stopped the clean room for ${r.contractId} (pid ${r.stopped})${r.killed ? " — it had to be killed" : ""}.`,
  );
  ctx.out.result(
    results,
    lines.length > 0 ? lines.join("\n") : `Profile ${profile.name} has started no clean room.`,
  );
  return results;
}

export function runtimeStopCommand(): Command {
  return defineCommand("stop", {
    summary: "stop the local clean room(s)",
    description: `Stops the clean room of --contract, or every one this profile started: SIGTERM,
      then it finishes the run it is executing (reporting its outcome to governance) and exits;
      it is killed if it takes longer than two minutes. Its workspace and log are kept; a run it
      had claimed and not finished is resumed or failed cleanly by the next \`runtime start\`.
      Nothing running is not an error.`,
    examples: ["cleanroom runtime stop", "cleanroom runtime stop --contract collab --json"],
  })
    .option("--contract <id>", "only the clean room of this contract")
    .action(async (options: { contract?: string }, command: Command) => {
      await runRuntimeStop(contextOf(command), options);
    });
}
