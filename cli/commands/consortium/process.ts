/**
 * The local sandbox as a background process: started detached (it outlives the command), its
 * output in a log file in its workspace, found again by pid, stopped with SIGTERM.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { UserError } from "../../errors.js";

/** This CLI's entry point: the sandbox runs as `node <main.js> sandbox start`. */
export const CLI_MAIN = fileURLToPath(new URL("../../main.js", import.meta.url));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

/** Whether `pid` is a running sandbox (not another process that reused the pid). */
export function isSandbox(pid: number): boolean {
  if (!isRunning(pid)) return false;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const at = argv.indexOf("sandbox");
    return at >= 0 && argv[at + 1] === "start";
  } catch {
    return true; // No /proc (not Linux): trust the pid.
  }
}

export interface SandboxLaunch {
  workspace: string;
  log: string;
  port: number;
  members: number;
  users: number;
  /** How long to wait for the ready line. */
  timeoutMs?: number;
}

export interface Ready {
  url: string;
  workspace: string;
  pid: number;
}

function readyLine(text: string): Ready | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const value = JSON.parse(line) as Partial<Ready>;
      if (typeof value.url === "string" && typeof value.pid === "number") return value as Ready;
    } catch {
      // A partial line: read again.
    }
  }
  return undefined;
}

/** The `error:` and `hint:` lines the sandbox printed before it exited. */
function failureOf(text: string, log: string): UserError {
  const lines = text.split("\n");
  const error = lines.find((l) => l.startsWith("error: ") || l.startsWith("internal error: "));
  const hint = lines.find((l) => l.startsWith("hint: "));
  return new UserError(
    `the sandbox failed to start: ${error ? error.replace(/^(internal )?error: /, "") : "see its log"}`,
    hint ? `${hint.slice(6)} (log: ${log})` : `see ${log}`,
    "SandboxFailed",
  );
}

/** Starts `cleanroom sandbox start --json` detached and waits for its ready line. */
export async function launchSandbox(launch: SandboxLaunch): Promise<Ready> {
  const fd = openSync(launch.log, "w", 0o600);
  const child = spawn(
    process.execPath,
    [
      CLI_MAIN,
      "sandbox",
      "start",
      "--json",
      "--workspace",
      launch.workspace,
      "--port",
      String(launch.port),
      "--members",
      String(launch.members),
      "--users",
      String(launch.users),
    ],
    { detached: true, stdio: ["ignore", fd, fd], env: { ...process.env, NO_COLOR: "1" } },
  );
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

async function waitReady(
  launch: SandboxLaunch,
  pid: number | undefined,
  exited: () => boolean,
): Promise<Ready> {
  const deadline = Date.now() + (launch.timeoutMs ?? 60_000);
  for (;;) {
    const text = existsSync(launch.log) ? readFileSync(launch.log, "utf8") : "";
    const ready = readyLine(text);
    if (ready) return ready;
    if (exited()) throw failureOf(text, launch.log);
    if (Date.now() > deadline) {
      if (pid !== undefined) process.kill(pid, "SIGKILL");
      throw new UserError(
        `the sandbox did not become ready within ${Math.round((launch.timeoutMs ?? 60_000) / 1000)} s`,
        `see ${launch.log}`,
        "SandboxTimeout",
      );
    }
    await sleep(100);
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
      while (isRunning(pid)) await sleep(50);
      return "killed";
    }
    await sleep(50);
  }
  return "stopped";
}
