/**
 * Background processes the CLI starts and finds again (the local sandbox, the local clean room):
 * spawned detached so they outlive the command, their output in a log file, ready once they print
 * a JSON ready line, recognised by pid and command line, stopped with SIGTERM.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { UserError } from "./errors.js";
import { pause } from "./pause.js";

/** Whether `pid` is a live process (not a zombie). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as { code?: string }).code === "EPERM";
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; a zombie has exited and only waits to be reaped.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true;
  }
}

/**
 * Whether `pid` is running with a command line that `matches` (not another process that reused
 * the pid). Without /proc (not Linux) the pid is trusted.
 */
export function isRunningAs(pid: number, matches: (argv: string[]) => boolean): boolean {
  if (!isRunning(pid)) return false;
  try {
    return matches(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"));
  } catch {
    return true;
  }
}

export interface Launch<Ready> {
  /** What it is, for messages: "the sandbox", "the clean room". */
  what: string;
  /** Arguments after `node`. */
  args: string[];
  /** Its stdout and stderr go here (created, mode 0600). */
  log: string;
  /** The ready document from one JSON line of its output, or undefined. */
  ready(value: Record<string, unknown>): Ready | undefined;
  /** Why it failed, from a JSON line of its output (e.g. `{"ready":false,"error":…}`). */
  failure?(value: Record<string, unknown>): string | undefined;
  /** How long to wait for the ready line. Default 60 s. */
  timeoutMs?: number;
  /** A code for the failure to start, e.g. "SandboxFailed"; `<code>`'s timeout is "…Timeout". */
  failureCode: string;
  timeoutCode: string;
}

/** The first JSON line of `text` that `pick` makes something of. */
function jsonLine<T>(text: string, pick: (value: Record<string, unknown>) => T | undefined) {
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const found = pick(JSON.parse(line) as Record<string, unknown>);
      if (found !== undefined) return found;
    } catch {
      // A partial line: read again.
    }
  }
  return undefined;
}

/** Why it failed: its JSON failure line, or the `error:` and `hint:` lines it printed. */
function failureOf(text: string, launch: Launch<unknown>): UserError {
  const reported = launch.failure ? jsonLine(text, launch.failure) : undefined;
  const lines = text.split("\n");
  const error = lines.find((l) => l.startsWith("error: ") || l.startsWith("internal error: "));
  const hint = lines.find((l) => l.startsWith("hint: "));
  return new UserError(
    `${launch.what} failed to start: ${reported ?? (error ? error.replace(/^(internal )?error: /, "") : "see its log")}`,
    hint ? `${hint.slice(6)} (log: ${launch.log})` : `see ${launch.log}`,
    launch.failureCode,
  );
}

/** Starts `node <args>` detached, its output in the log, and waits for its ready line. */
export async function launchDetached<Ready>(launch: Launch<Ready>): Promise<Ready> {
  const fd = openSync(launch.log, "w", 0o600);
  const child = spawn(process.execPath, launch.args, {
    detached: true,
    stdio: ["ignore", fd, fd],
    env: { ...process.env, NO_COLOR: "1" },
  });
  closeSync(fd);
  let exited = false;
  child.once("exit", () => (exited = true));
  child.unref();
  // Interrupted before it is ready (and recorded): stop it rather than leave it running unknown.
  const interrupted = () => {
    if (child.pid !== undefined && !exited) process.kill(child.pid, "SIGTERM");
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    return await waitReady(launch, child.pid, () => exited);
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
  }
}

async function waitReady<Ready>(
  launch: Launch<Ready>,
  pid: number | undefined,
  exited: () => boolean,
): Promise<Ready> {
  const timeoutMs = launch.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(launch.log) ? readFileSync(launch.log, "utf8") : "";
    const ready = jsonLine(text, launch.ready);
    if (ready) return ready;
    if (exited()) throw failureOf(text, launch);
    if (Date.now() > deadline) {
      if (pid !== undefined) process.kill(pid, "SIGKILL");
      throw new UserError(
        `${launch.what} did not become ready within ${Math.round(timeoutMs / 1000)} s`,
        `see ${launch.log}`,
        launch.timeoutCode,
      );
    }
    await pause(100);
  }
}

/** SIGTERM, then wait for the process to exit (SIGKILL after `graceMs`). */
export async function stopProcess(pid: number, graceMs = 30_000): Promise<"stopped" | "killed"> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return "stopped";
  }
  const deadline = Date.now() + graceMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, "SIGKILL");
      while (isRunning(pid)) await pause(50);
      return "killed";
    }
    await pause(50);
  }
  return "stopped";
}
