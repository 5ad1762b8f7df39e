// A clean-room run as governance stores and serves it: what was requested, which attested clean
// room claimed it, what it reported. One declaration for the governance app, the client and the
// runtime, so the wire shape cannot drift between them. Pure types (no runtime code).
import type { AttestationPlatform, Counters, OutputDigest } from "./attestation.js";

/**
 * Requested (by a user) → Claimed (by an attested runtime, bound to its key) → Running (first
 * progress report) → Completed | Failed. Completed and Failed are final.
 */
export type RunState = "Requested" | "Claimed" | "Running" | "Completed" | "Failed";

/** The attested clean room a run is bound to. */
export interface RunClaim {
  platform: AttestationPlatform;
  measurement: string;
  hostData?: string;
  /** The runtime's ephemeral RSA public key: requests are signed with it, releases wrapped to it. */
  publicKeyPem: string;
  /** Lower-case hex SHA-256 of the UTF-8 PEM (the first half of the report data). */
  keyDigest: string;
  /** Lower-case hex SHA-256 of the evidence bytes. */
  attestationDigest: string;
  claimedAt: string;
}

export interface RunRecord {
  contractId: string;
  runId: string;
  queryId: string;
  queryVersion: string;
  parameters: Record<string, unknown>;
  /** Who requested it (member or user id). */
  requestedBy: string;
  requestedAt: string;
  state: RunState;
  inputs: { datasetId: string; view: string }[];
  /** The output dataset's id. */
  output: string;
  claim?: RunClaim;
  /** The latest progress report. */
  progress?: {
    sequence: number;
    phase?: string;
    rowCounts?: Counters;
    durationsMs?: Counters;
    at: string;
  };
  result?: {
    rowCounts: Counters;
    durationsMs: Counters;
    outputDigests: OutputDigest[];
    completedAt: string;
  };
  failure?: { reason: string; failedAt: string };
}

/** A run as `GET …/runs` lists it (`GET …/runs/{runId}` gives the whole record). */
export type RunSummary = Pick<
  RunRecord,
  "runId" | "queryId" | "queryVersion" | "state" | "requestedBy" | "requestedAt"
>;

/** A run as clean rooms discover it (`GET …/pending-runs`): enough to decide to claim it. */
export type PendingRun = Pick<RunRecord, "runId" | "queryId" | "queryVersion" | "requestedAt">;
