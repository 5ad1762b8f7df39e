// The clean-room runtime's public entry: `startRuntime` runs the agent for one contract (what
// `cleanroom runtime start` and runtime/main.ts start), `measureRuntime` computes the measurement
// members put in a contract's clean-room policy (what `cleanroom contract policy verify` checks).
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

import type { StorageOptions } from "../client/storage/index.js";
import { Agent, type AgentState } from "./agent/agent.js";
import { snpEvidence, virtualEvidence, type Platform } from "./agent/attestation.js";
import { RuntimeGovernance } from "./agent/governance.js";
import { measureRuntime } from "./agent/measurement.js";
import { writeStatus } from "./agent/status.js";
import { ensureWorkspace, workspaceLogger, type LogEntry } from "./agent/workspace.js";
import type { EngineLimits } from "./engine/types.js";

export { measureRuntime, runtimeManifest, type MeasuredConfig } from "./agent/measurement.js";
export { readStatus, type RuntimeStatus } from "./agent/status.js";
export {
  JOURNAL_FILE,
  LOG_FILE,
  STATUS_FILE,
  type LogEntry,
  type LogLevel,
} from "./agent/workspace.js";
export type { Platform } from "./agent/attestation.js";
export type { EngineLimits } from "./engine/types.js";

/** The root of the build this module belongs to (`dist/`): what the measurement covers. */
export const BUILD_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

export interface RuntimeOptions {
  /** The governance service, e.g. `https://127.0.0.1:8000`. */
  endpoint: string;
  /** PEM of its service certificate (pinned: the only CA trusted). */
  serviceCertPem: string;
  contractId: string;
  /** Folder for the log, status and journal files (created, mode 0700). */
  workspace: string;
  platform: Platform;
  /** `snp`: the attestation sidecar's URL, e.g. `http://127.0.0.1:8900`. */
  snpSidecar?: string;
  /** `virtual`: host data to claim (hex), if the contract's policy lists some. */
  hostData?: string;
  /** Obtain an OIDC token for this audience in every run (one of the contract's audiences). */
  tokenAudience?: string;
  /** Between polls for requested runs (default 1000 ms). */
  pollMs?: number;
  /** Longest wait between attempts while governance is unreachable (default 10 s). */
  maxBackoffMs?: number;
  /** How long a run whose claim was refused is left alone (default 30 s). */
  claimRetryMs?: number;
  engine?: EngineLimits;
  /** Tuning of the storage clients (attempts, block size, concurrency). */
  storage?: StorageOptions;
  /** The build to measure (default: this one). */
  buildRoot?: string;
  /** Receives every log entry as it is written. */
  onLog?: (entry: LogEntry) => void;
}

export interface RuntimeHandle {
  /** 96 hex digits: SHA-384 of this build and configuration. */
  measurement: string;
  /** Resolves after the next poll that found nothing to do, once the next run's key is ready. */
  whenIdle(): Promise<void>;
  /** Stops after the current run has reported its outcome; the status file says `stopped`. */
  stop(): Promise<void>;
}

export function startRuntime(options: RuntimeOptions): RuntimeHandle {
  if (options.platform === "snp" && options.snpSidecar === undefined) {
    throw new Error("The snp platform needs the attestation sidecar's URL (snpSidecar).");
  }
  ensureWorkspace(options.workspace);
  const config = { platform: options.platform, engine: options.engine };
  const measurement = measureRuntime(options.buildRoot ?? BUILD_ROOT, config);
  const log = workspaceLogger(options.workspace, options.onLog);
  const governance = new RuntimeGovernance({
    endpoint: options.endpoint,
    serviceCertPem: options.serviceCertPem,
    contractId: options.contractId,
  });
  const evidence =
    options.platform === "snp"
      ? snpEvidence(options.snpSidecar!)
      : virtualEvidence(measurement, options.hostData);
  const startedAt = new Date().toISOString();
  const status = (state: "running" | "stopped", agentState: AgentState) =>
    writeStatus(options.workspace, {
      pid: process.pid,
      contractId: options.contractId,
      endpoint: options.endpoint,
      platform: options.platform,
      measurement,
      state,
      startedAt,
      ...agentState,
    });
  let latest: AgentState = {
    connected: false,
    currentRun: null,
    counts: { claimed: 0, completed: 0, failed: 0, claimsRefused: 0 },
  };
  const agent = new Agent({
    governance,
    evidence,
    workspace: options.workspace,
    log,
    pollMs: options.pollMs,
    maxBackoffMs: options.maxBackoffMs,
    claimRetryMs: options.claimRetryMs,
    engine: options.engine,
    storage: options.storage,
    tokenAudience: options.tokenAudience,
    onState: (state) => {
      latest = state;
      status("running", state);
    },
  });
  status("running", latest);
  log("info", "agent.started", {
    pid: process.pid,
    contractId: options.contractId,
    endpoint: options.endpoint,
    platform: options.platform,
    measurement,
  });
  agent.start();
  let stopped: Promise<void> | undefined;
  return {
    measurement,
    whenIdle: () => agent.whenIdle(),
    stop() {
      stopped ??= (async () => {
        await agent.stop();
        governance.close();
        status("stopped", { ...latest, currentRun: null });
        log("info", "agent.stopped", { counts: latest.counts });
      })();
      return stopped;
    },
  };
}
