/**
 * The local sandbox as a background process (cli/background.ts): `cleanroom sandbox start`
 * started detached, its output in a log file in its workspace, found again by pid, stopped with
 * SIGTERM.
 */
import { fileURLToPath } from "node:url";
import { isRunningAs, launchDetached } from "../../background.js";

/** This CLI's entry point: the sandbox runs as `node <main.js> sandbox start`. */
const CLI_MAIN = fileURLToPath(new URL("../../main.js", import.meta.url));

/** Whether `pid` is a running sandbox (not another process that reused the pid). */
export function isSandbox(pid: number): boolean {
  return isRunningAs(pid, (argv) => {
    const at = argv.indexOf("sandbox");
    return at >= 0 && argv[at + 1] === "start";
  });
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

/** Starts `cleanroom sandbox start --json` detached and waits for its ready line. */
export function launchSandbox(launch: SandboxLaunch): Promise<Ready> {
  return launchDetached<Ready>({
    what: "the sandbox",
    args: [
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
    log: launch.log,
    ready: (value) =>
      typeof value["url"] === "string" && typeof value["pid"] === "number"
        ? (value as unknown as Ready)
        : undefined,
    ...(launch.timeoutMs !== undefined ? { timeoutMs: launch.timeoutMs } : {}),
    failureCode: "SandboxFailed",
    timeoutCode: "SandboxTimeout",
  });
}
