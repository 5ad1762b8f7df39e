// The status file `cleanroom runtime status` reads: who this runtime is and what it is doing.
import type { AgentState } from "./agent.js";
import type { Platform } from "./attestation.js";
import { readJsonFile, STATUS_FILE, writeJsonFile } from "./workspace.js";

export interface RuntimeStatus extends AgentState {
  pid: number;
  contractId: string;
  endpoint: string;
  platform: Platform;
  measurement: string;
  /** `running` while the agent runs; `stopped` after a clean stop. */
  state: "running" | "stopped";
  startedAt: string;
  updatedAt: string;
}

export function writeStatus(workspace: string, status: Omit<RuntimeStatus, "updatedAt">): void {
  writeJsonFile(workspace, STATUS_FILE, { ...status, updatedAt: new Date().toISOString() });
}

/** The status a runtime left in `workspace`, if any. */
export function readStatus(workspace: string): RuntimeStatus | undefined {
  return readJsonFile<RuntimeStatus>(workspace, STATUS_FILE);
}
