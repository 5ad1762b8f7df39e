// Runs and releases: who may request a run, what a run's state allows, which dataset keys and
// access grants a run may obtain, and what its reports must say. Pure (no ccf import).
import type { OutputDigest, RuntimePurpose } from "../../../contracts/src/attestation.js";
import type { RunState } from "../../../contracts/src/run.js";
import { PASS, type Verdict } from "./attestation.js";

export type { RunState };

export const FINAL_STATES: readonly RunState[] = ["Completed", "Failed"];

function refuse(status: number, code: string, reason: string): Verdict {
  return { ok: false, status, code, reason };
}

/** Whether the run's state allows a request: a claim needs Requested, the rest a bound run. */
export function stateVerdict(state: RunState, purpose: RuntimePurpose | "claim"): Verdict {
  if (purpose === "claim") {
    return state === "Requested"
      ? PASS
      : refuse(409, "RunAlreadyClaimed", `The run is ${state}: it was already claimed.`);
  }
  if (state === "Requested") {
    return refuse(
      409,
      "RunNotClaimed",
      "The run has not been claimed: claim it with attestation first.",
    );
  }
  if (FINAL_STATES.includes(state)) {
    return refuse(409, "RunFinished", `The run is ${state}: it takes no more requests.`);
  }
  return PASS;
}

/** The state a successful request moves the run to. */
export function nextState(state: RunState, purpose: RuntimePurpose | "claim"): RunState {
  switch (purpose) {
    case "claim":
      return "Claimed";
    case "progress":
      return "Running";
    case "complete":
      return "Completed";
    case "fail":
      return "Failed";
    default:
      return state;
  }
}

/** Who may request a run of a query version: its proposer and its approvers. */
export function isEntitled(
  callerId: string,
  query: { proposerId: string; approvers: readonly string[] },
): boolean {
  return callerId === query.proposerId || query.approvers.includes(callerId);
}

/** How a query uses a dataset: read (input), written (output), or not at all. */
export function datasetRole(
  query: { inputs: readonly { datasetId: string }[]; output: string },
  datasetId: string,
): "input" | "output" | undefined {
  if (query.inputs.some((input) => input.datasetId === datasetId)) return "input";
  if (query.output === datasetId) return "output";
  return undefined;
}

/** A dataset key is released only for a dataset the run's query reads or writes. */
export function datasetVerdict(
  query: {
    queryId: string;
    version: string;
    inputs: readonly { datasetId: string }[];
    output: string;
  },
  datasetId: string,
): Verdict {
  if (datasetRole(query, datasetId) !== undefined) return PASS;
  return refuse(
    403,
    "DatasetNotInQuery",
    `Query ${query.queryId} version ${query.version} neither reads nor writes dataset ${datasetId}.`,
  );
}

/** An access grant as the release rule sees it. */
export interface GrantFacts {
  ownerId: string;
  /** Unix milliseconds, if the grant expires. */
  expiresAt?: number;
}

/**
 * An access grant is released to a run only if its owner owns a dataset the run's query reads or
 * writes (the grant exists to reach that storage), and only before it expires.
 */
export function grantVerdict(
  grant: GrantFacts,
  datasetOwners: readonly string[],
  now: number,
): Verdict {
  if (!datasetOwners.includes(grant.ownerId)) {
    return refuse(
      403,
      "SecretNotForRun",
      "The grant's owner owns no dataset this run's query reads or writes.",
    );
  }
  if (grant.expiresAt !== undefined && now >= grant.expiresAt) {
    return refuse(403, "SecretExpired", "The grant has expired: its owner must store a new one.");
  }
  return PASS;
}

/** Progress reports carry a sequence that must grow: a replayed report is refused. */
export function sequenceVerdict(last: number | undefined, sequence: unknown): Verdict {
  if (typeof sequence !== "number" || !Number.isSafeInteger(sequence) || sequence < 0) {
    return refuse(400, "InvalidPayload", "payload.sequence must be a non-negative integer.");
  }
  if (last !== undefined && sequence <= last) {
    return refuse(
      409,
      "ReportReplayed",
      `Progress report ${sequence} is not after the last one (${last}): sequences must grow.`,
    );
  }
  return PASS;
}

/** Output digests of a completed run name only datasets the query writes. */
export function outputsVerdict(outputDigests: readonly OutputDigest[], output: string): Verdict {
  const stray = outputDigests.find((digest) => digest.datasetId !== output);
  if (stray) {
    return refuse(
      403,
      "OutputNotInQuery",
      `Dataset ${stray.datasetId} is not the query's output (${output}).`,
    );
  }
  return PASS;
}
