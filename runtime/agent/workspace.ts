// The runtime's workspace: three files the agent writes and `cleanroom runtime status|logs` reads
// (docs/runtime.md, "Agent"). Every file is mode 0600 and replaced atomically (write, rename),
// except the log, which is appended to.
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** JSON lines: `{time, level, event, …fields}`; ids, codes and counts only, never data or keys. */
export const LOG_FILE = "runtime.log";
/** One JSON object: `RuntimeStatus`. */
export const STATUS_FILE = "runtime.status.json";
/** One JSON object: `{runs: {<runId>: JournalEntry}}`; holds run keys, so 0600. */
export const JOURNAL_FILE = "runtime.journal.json";

export function ensureWorkspace(workspace: string): void {
  mkdirSync(workspace, { recursive: true, mode: 0o700 });
}

/** Writes `value` as JSON to `workspace/name` atomically, mode 0600. */
export function writeJsonFile(workspace: string, name: string, value: unknown): void {
  const path = join(workspace, name);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

export function readJsonFile<T>(workspace: string, name: string): T | undefined {
  try {
    return JSON.parse(readFileSync(join(workspace, name), "utf8")) as T;
  } catch {
    return undefined;
  }
}

export type LogLevel = "info" | "warn" | "error";

export interface LogEntry {
  time: string;
  level: LogLevel;
  event: string;
  [field: string]: unknown;
}

export type Logger = (level: LogLevel, event: string, fields?: Record<string, unknown>) => void;

/** A logger appending JSON lines to the workspace's log, and handing each entry to `listener`. */
export function workspaceLogger(workspace: string, listener?: (entry: LogEntry) => void): Logger {
  const path = join(workspace, LOG_FILE);
  return (level, event, fields = {}) => {
    const entry: LogEntry = { time: new Date().toISOString(), level, event, ...fields };
    appendFileSync(path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    listener?.(entry);
  };
}
