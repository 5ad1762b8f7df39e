// Pure rules of query approval and execution consent (issue 5, items 3 and 4): who approves a
// query, what state its ballots put it in, whether an approval still allows a run, and whether
// every switch a run depends on is on. No ccf import: callable from unit tests without a host.

export type Vote = "accept" | "reject";

export interface Ballot {
  vote: Vote;
  /** Unix seconds (untrusted host time) when the ballot was cast. */
  at: number;
  /** An accepting approver's limit: no run may start (or obtain keys) at or after it. */
  expiresAt?: number;
  /** An accepting approver's limit on the number of runs of this query version. */
  runQuota?: number;
}

export type QueryState = "Proposed" | "Accepted" | "Rejected" | "Withdrawn";

/**
 * The approvers of a query: the owners of every dataset it reads or writes, each once, in the
 * order the datasets are named. `ownerOf` returns undefined for a dataset that is not published.
 */
export function approversOf(
  datasetIds: readonly string[],
  ownerOf: (datasetId: string) => string | undefined,
): { approvers: string[]; missing: string[] } {
  const approvers: string[] = [];
  const missing: string[] = [];
  for (const id of datasetIds) {
    const owner = ownerOf(id);
    if (owner === undefined) missing.push(id);
    else if (!approvers.includes(owner)) approvers.push(owner);
  }
  return { approvers, missing };
}

/**
 * A query version's state: Withdrawn once withdrawn; Rejected as soon as one approver rejects;
 * Accepted once every approver accepted; Proposed otherwise. Ballots of non-approvers count for
 * nothing (they cannot be cast, but the rule does not rely on it).
 */
export function queryState(
  approvers: readonly string[],
  ballots: Readonly<Record<string, Ballot>>,
  withdrawn: boolean,
): QueryState {
  if (withdrawn) return "Withdrawn";
  if (approvers.some((id) => ballots[id]?.vote === "reject")) return "Rejected";
  if (approvers.length > 0 && approvers.every((id) => ballots[id]?.vote === "accept")) {
    return "Accepted";
  }
  return "Proposed";
}

/** The limits an accepted version runs under: the tightest of its approvers' (absent = none). */
export function approvalLimits(
  approvers: readonly string[],
  ballots: Readonly<Record<string, Ballot>>,
): { expiresAt?: number; runQuota?: number } {
  let expiresAt: number | undefined;
  let runQuota: number | undefined;
  for (const id of approvers) {
    const ballot = ballots[id];
    if (ballot?.vote !== "accept") continue;
    if (ballot.expiresAt !== undefined)
      expiresAt = Math.min(expiresAt ?? Infinity, ballot.expiresAt);
    if (ballot.runQuota !== undefined) runQuota = Math.min(runQuota ?? Infinity, ballot.runQuota);
  }
  const limits: { expiresAt?: number; runQuota?: number } = {};
  if (expiresAt !== undefined) limits.expiresAt = expiresAt;
  if (runQuota !== undefined) limits.runQuota = runQuota;
  return limits;
}

export type Runnability =
  | { ok: true }
  | {
      ok: false;
      code: "QueryNotAccepted" | "ApprovalExpired" | "RunQuotaExhausted" | "DatasetChanged";
      reason: string;
    };

/**
 * Whether an approval allows a run now. `runsUsed` counts runs already requested; with
 * `countedRun` the run being checked is one of them (a key request for a run already counted),
 * so the quota only has to allow it, not one more. `changedDatasets` are datasets republished
 * since the version was proposed: approvers approved the data as it was, so such a version no
 * longer runs (propose it again).
 */
export function runnability(input: {
  state: QueryState;
  approvers: readonly string[];
  ballots: Readonly<Record<string, Ballot>>;
  runsUsed: number;
  now: number;
  countedRun?: boolean;
  changedDatasets?: readonly string[];
}): Runnability {
  if (input.state !== "Accepted") {
    return {
      ok: false,
      code: "QueryNotAccepted",
      reason: `The query version is ${input.state}, not Accepted.`,
    };
  }
  const limits = approvalLimits(input.approvers, input.ballots);
  if (limits.expiresAt !== undefined && input.now >= limits.expiresAt) {
    return {
      ok: false,
      code: "ApprovalExpired",
      reason: `The approval expired at ${limits.expiresAt} (unix seconds).`,
    };
  }
  if (limits.runQuota !== undefined) {
    const allowed = input.countedRun
      ? input.runsUsed <= limits.runQuota
      : input.runsUsed < limits.runQuota;
    if (!allowed) {
      return {
        ok: false,
        code: "RunQuotaExhausted",
        reason: `The approval allows ${limits.runQuota} run(s) and ${input.runsUsed} were requested.`,
      };
    }
  }
  if (input.changedDatasets && input.changedDatasets.length > 0) {
    return {
      ok: false,
      code: "DatasetChanged",
      reason: `Dataset(s) ${input.changedDatasets.join(", ")} were republished after the query was approved: propose the query again.`,
    };
  }
  return { ok: true };
}

/** One principal's switches on a dataset or query; absent means on (approval is consent). */
export interface ConsentSwitches {
  execution?: boolean;
  telemetry?: boolean;
}

export type Consent = { ok: true } | { ok: false; code: string; reason: string };

/**
 * Execution consent is the AND of: the contract's execution switch; each approver's switch for
 * the query; the owner's switch for each dataset the query reads or writes. The first switch
 * that is off is named.
 */
export function executionConsentOf(input: {
  contractExecution: boolean;
  queryId: string;
  approvers: readonly string[];
  querySwitches: (approverId: string) => ConsentSwitches | undefined;
  datasets: readonly { datasetId: string; owner: string }[];
  datasetSwitches: (datasetId: string, ownerId: string) => ConsentSwitches | undefined;
}): Consent {
  if (!input.contractExecution) {
    return {
      ok: false,
      code: "ContractExecutionOff",
      reason: "Members have switched execution off for this contract.",
    };
  }
  for (const approver of input.approvers) {
    if (input.querySwitches(approver)?.execution === false) {
      return {
        ok: false,
        code: "QueryConsentOff",
        reason: `Approver ${approver} has switched execution off for query ${input.queryId}.`,
      };
    }
  }
  for (const { datasetId, owner } of input.datasets) {
    if (input.datasetSwitches(datasetId, owner)?.execution === false) {
      return {
        ok: false,
        code: "DatasetConsentOff",
        reason: `Owner ${owner} has switched execution off for dataset ${datasetId}.`,
      };
    }
  }
  return { ok: true };
}

/**
 * Telemetry is allowed when the contract's telemetry switch is on and no approver switched
 * telemetry off for the query or for a dataset they own.
 */
export function telemetryAllowedOf(input: {
  contractTelemetry: boolean;
  approvers: readonly string[];
  querySwitches: (approverId: string) => ConsentSwitches | undefined;
  datasets: readonly { datasetId: string; owner: string }[];
  datasetSwitches: (datasetId: string, ownerId: string) => ConsentSwitches | undefined;
}): boolean {
  return (
    input.contractTelemetry &&
    input.approvers.every((id) => input.querySwitches(id)?.telemetry !== false) &&
    input.datasets.every((d) => input.datasetSwitches(d.datasetId, d.owner)?.telemetry !== false)
  );
}
