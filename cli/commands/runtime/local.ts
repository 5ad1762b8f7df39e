/**
 * The local clean rooms a profile started: one folder per contract in the profile's folder,
 * `runtimes/<contractId>/` (mode 0700). It is the agent's workspace — its status file, JSON-lines
 * log and journal (docs/runtime.md, "Workspace files") — and holds `launch.json`, what
 * `runtime start` recorded (pid, endpoint, platform, measurement), and `agent.log`, the process's
 * own output (its ready line, or why it could not start).
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isRunningAs } from "../../background.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import type { Profile, ProfileStore } from "../../profile/store.js";

/** The agent's entry in this installation's build. */
export const AGENT_MAIN = fileURLToPath(new URL("../../../runtime/main.js", import.meta.url));

export const LAUNCH_FILE = "launch.json";
export const PROCESS_LOG = "agent.log";

export interface LaunchRecord {
  contractId: string;
  /** Absent once stopped. */
  pid?: number;
  endpoint: string;
  platform: string;
  measurement: string;
  workspace: string;
  /** The process's stdout and stderr. */
  log: string;
  startedAt: string;
}

function runtimesDir(store: ProfileStore, profile: Profile): string {
  return join(store.dir(profile.name), "runtimes");
}

export function runtimeWorkspace(store: ProfileStore, profile: Profile, contractId: string) {
  return join(runtimesDir(store, profile), contractId);
}

export function readLaunch(workspace: string): LaunchRecord | undefined {
  const path = join(workspace, LAUNCH_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LaunchRecord;
  } catch (error) {
    throw new UserError(
      `${path} is not valid JSON (${(error as Error).message})`,
      "stop the clean room by its pid if it runs, delete the file, and start it again",
      "CorruptProfile",
    );
  }
}

export function writeLaunch(record: LaunchRecord): void {
  const path = join(record.workspace, LAUNCH_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(record, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
}

/** Makes the workspace (mode 0700: the agent's journal holds run keys). */
export function makeWorkspace(workspace: string): void {
  mkdirSync(workspace, { recursive: true, mode: 0o700 });
  chmodSync(workspace, 0o700);
}

/** Whether `pid` is this contract's agent (not another process that reused the pid). */
export function isAgent(pid: number, contractId: string): boolean {
  return isRunningAs(pid, (argv) => {
    const at = argv.indexOf("--contract");
    return argv.includes(AGENT_MAIN) && at >= 0 && argv[at + 1] === contractId;
  });
}

/** The launch record of the contract's clean room if it is running now. */
export function runningRuntime(
  store: ProfileStore,
  profile: Profile,
  contractId: string,
): LaunchRecord | undefined {
  const record = readLaunch(runtimeWorkspace(store, profile, contractId));
  return record?.pid !== undefined && isAgent(record.pid, contractId) ? record : undefined;
}

/** The contracts this profile has started a clean room for (running or not). */
export function startedContracts(store: ProfileStore, profile: Profile): string[] {
  const dir = runtimesDir(store, profile);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, LAUNCH_FILE)))
    .sort();
}

/**
 * The contract a `runtime status|logs|stop` acts on: --contract, else the only one this profile
 * started a clean room for.
 */
export function chosenContract(ctx: Context, profile: Profile, given?: string): string {
  if (given !== undefined) return given;
  const started = startedContracts(ctx.store, profile);
  if (started.length === 1) return started[0]!;
  throw new UserError(
    started.length === 0
      ? `profile '${profile.name}' has started no clean room`
      : `profile '${profile.name}' has clean rooms for ${started.join(", ")}: which one?`,
    started.length === 0
      ? "start one with `cleanroom runtime start --contract <id>`"
      : `pass --contract ${started[0]}`,
    started.length === 0 ? "NoRuntime" : "UsageError",
  );
}
