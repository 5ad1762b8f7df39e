// Runs as stored: what was requested, which attested clean room claimed it (and the key every
// later runtime request is signed with), what it reported. Keys `<contractId>/<runId>`.
import { ccf } from "@microsoft/ccf-app/global.js";
import type { PendingRun, RunRecord } from "../../../contracts/src/run.js";
import type { NonceRecord } from "../policy/attestation.js";
import { Tables } from "../tables.js";
import { notFound } from "./errors.js";
import { JsonTable, type Versioned } from "./records.js";

export type {
  PendingRun,
  RunClaim,
  RunRecord,
  RunState,
  RunSummary,
} from "../../../contracts/src/run.js";

export const runs = new JsonTable<RunRecord>(Tables.runs);
export const runNonces = new JsonTable<NonceRecord>(Tables.runNonces);

/**
 * Per contract, its runs in state Requested, oldest first. Runs leave Requested only by a claim,
 * so the index is kept by two writes (request, claim) and its size is the contract's backlog, not
 * its history: a page costs the same however many runs the contract ever had.
 */
const pendingIndex = new JsonTable<PendingRun[]>(Tables.pendingRuns);

export function pendingRuns(contractId: string): PendingRun[] {
  return pendingIndex.get(contractId) ?? [];
}

export function addPendingRun(contractId: string, run: PendingRun): void {
  pendingIndex.set(contractId, [...pendingRuns(contractId), run]);
}

export function removePendingRun(contractId: string, runId: string): void {
  const kept = pendingRuns(contractId).filter((run) => run.runId !== runId);
  if (kept.length === 0) pendingIndex.delete(contractId);
  else pendingIndex.set(contractId, kept);
}

export const runKey = (contractId: string, runId: string) => `${contractId}/${runId}`;
/** The list (lib/lists.ts) of a contract's runs, in order of request. */
export const runListName = (contractId: string) => `runs:${contractId}`;

/** Run ids are 32 lower-case hex digits (128 random bits). */
export const RUN_ID_PATTERN = /^[0-9a-f]{32}$/;

export function readRun(contractId: string, runId: string): Versioned<RunRecord> | undefined {
  if (!RUN_ID_PATTERN.test(runId)) return undefined;
  return runs.getVersioned(runKey(contractId, runId));
}

/** The run, or 404 `RunNotFound`. */
export function requireRun(contractId: string, runId: string): Versioned<RunRecord> {
  const run = readRun(contractId, runId);
  if (run) return run;
  throw notFound("RunNotFound", `Contract ${contractId} has no run ${runId}.`);
}

/** Untrusted host time in milliseconds (CCF gives 0 until it is enabled). */
export function nowMs(): number {
  ccf.enableUntrustedDateTime(true);
  return Date.now();
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
