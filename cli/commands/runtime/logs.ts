/**
 * `cleanroom runtime logs`: the local clean room's log (JSON lines in its workspace: ids, codes,
 * counts and digests, never data values or keys); --follow keeps printing while it runs.
 */
import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { contextOf, defineCommand, integer } from "../../command.js";
import type { Context } from "../../context.js";
import { chosenContract, isAgent, readLaunch, runtimeWorkspace } from "./local.js";
import { runtimeEntry, type LogEntry } from "./runtime.js";
import { pause } from "../../pause.js";

export interface RuntimeLogsOptions {
  contract?: string;
  follow?: boolean;
  tail?: number;
  /** Milliseconds between reads with --follow. */
  pollMs?: number;
  /** Stops --follow (Ctrl-C). */
  signal?: AbortSignal;
}

/** `time level event key=value …` */
export function logLine(entry: LogEntry): string {
  const { time, level, event, ...fields } = entry;
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${time} ${level.padEnd(5)} ${event}${rest ? ` ${rest}` : ""}`;
}

/** The complete lines after byte `from`, parsed, and where the next read starts. */
function readEntries(path: string, from: number): { entries: LogEntry[]; next: number } {
  if (!existsSync(path)) return { entries: [], next: from };
  const bytes = readFileSync(path).subarray(from);
  const end = bytes.lastIndexOf(0x0a) + 1; // a line being written is read next time
  const entries = bytes
    .subarray(0, end)
    .toString("utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogEntry];
      } catch {
        return [];
      }
    });
  return { entries, next: from + end };
}

export async function runRuntimeLogs(
  ctx: Context,
  options: RuntimeLogsOptions,
): Promise<LogEntry[]> {
  const profile = ctx.profile();
  const contractId = chosenContract(ctx, profile, options.contract);
  const workspace = runtimeWorkspace(ctx.store, profile, contractId);
  const path = join(workspace, (await runtimeEntry()).LOG_FILE);
  const first = readEntries(path, 0);
  const entries = options.tail !== undefined ? first.entries.slice(-options.tail) : first.entries;
  if (!options.follow) {
    ctx.out.result(
      entries,
      entries.length > 0
        ? entries.map(logLine).join("\n")
        : `The clean room for ${contractId} has logged nothing yet (${path}).`,
    );
    return entries;
  }
  // Following: one line (one JSON document under --json) per entry as it is written, while the
  // clean room runs.
  const print = (e: LogEntry) =>
    ctx.io.stdout.write(ctx.out.json ? `${JSON.stringify(e)}\n` : `${logLine(e)}\n`);
  entries.forEach(print);
  ctx.out.note(`Following the log of the clean room for ${contractId} (Ctrl-C to stop)…`);
  const running = () => {
    const pid = readLaunch(workspace)?.pid;
    return pid !== undefined && isAgent(pid, contractId);
  };
  let next = first.next;
  for (;;) {
    const alive = running();
    const more = readEntries(path, next);
    next = more.next;
    more.entries.forEach(print);
    entries.push(...more.entries);
    if (!alive || options.signal?.aborted) break;
    await pause(options.pollMs ?? 500, options.signal);
  }
  return entries;
}

export function runtimeLogsCommand(): Command {
  return defineCommand("logs", {
    summary: "show the local clean room's log",
    description: `Prints the log the clean room keeps in its workspace, one line per entry: time,
      level, event (agent.started, run.claimed, run.phase, run.completed, run.failed,
      governance.unreachable, …) and its fields — ids, codes, reasons, counts and digests, never
      data values or keys. --tail keeps the last entries; --follow keeps printing new ones until
      the clean room stops or Ctrl-C (one JSON document per line with --json).`,
    examples: [
      "cleanroom runtime logs",
      "cleanroom runtime logs --contract collab --follow",
      "cleanroom runtime logs --contract collab --tail 20 --json",
    ],
  })
    .option("--contract <id>", "the contract's clean room (default: the only one started)")
    .option("--follow", "keep printing new entries while the clean room runs")
    .option("--tail <n>", "only the last n entries", integer(1))
    .action(async (options: RuntimeLogsOptions, command: Command) => {
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once("SIGINT", stop);
      try {
        await runRuntimeLogs(contextOf(command), { ...options, signal: controller.signal });
      } finally {
        process.off("SIGINT", stop);
      }
    });
}
