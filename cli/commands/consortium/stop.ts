/** `cleanroom consortium stop`: stop the sandbox this profile started. */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { stopProcess } from "../../background.js";
import { isSandbox } from "./process.js";

export interface ConsortiumStopped {
  profile: string;
  /** The pid that was stopped, or null when none was running. */
  stopped: number | null;
  /** True when it had to be killed after the grace period. */
  killed: boolean;
}

export async function runConsortiumStop(ctx: Context): Promise<ConsortiumStopped> {
  const profile = ctx.profile();
  const pid = profile.consortium?.pid;
  let result: ConsortiumStopped;
  if (pid === undefined || !isSandbox(pid)) {
    result = { profile: profile.name, stopped: null, killed: false };
  } else {
    ctx.out.note(`Stopping the sandbox (pid ${pid}) …`);
    const how = await stopProcess(pid);
    result = { profile: profile.name, stopped: pid, killed: how === "killed" };
  }
  if (pid !== undefined) {
    ctx.store.update(profile.name, (p) => {
      if (p.consortium) delete p.consortium.pid;
    });
  }
  ctx.out.result(
    result,
    result.stopped === null
      ? `No sandbox is running for profile ${profile.name}.`
      : `Stopped the sandbox (pid ${result.stopped})${result.killed ? " — it had to be killed" : ""}. Its workspace and ledger are kept: \`cleanroom consortium create\` starts it again.`,
  );
  return result;
}

export function consortiumStopCommand(): Command {
  return defineCommand("stop", {
    summary: "stop the local sandbox consortium",
    description:
      "Stops the sandbox this profile started with `consortium create` (SIGTERM, then waits for\n" +
      "it to exit). Its workspace — keys, ledger, log — is kept, so `consortium create` starts\n" +
      "the same consortium again. Nothing running is not an error.",
    examples: ["cleanroom consortium stop", "cleanroom consortium stop --profile operator --json"],
  }).action(async (_options: unknown, command: Command) => {
    await runConsortiumStop(contextOf(command));
  });
}
