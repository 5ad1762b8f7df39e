// Datasets, query versions, ballots and consent switches as stored, and the checks runs and key
// releases make against them (issue 5, items 3 and 4). The rules themselves are pure
// (policy/approvals.ts); this module reads the tables and applies them.
import type { Request } from "@microsoft/ccf-app";
import { ccf } from "@microsoft/ccf-app/global.js";
import type { AcceptedContract } from "../../../contracts/src/contract.js";
import { ID_PATTERN, type DatasetRecord } from "../../../contracts/src/dataset.js";
import { datasetsOf, type QueryDocument } from "../../../contracts/src/query.js";
import {
  approvalLimits,
  type Ballot,
  type ConsentSwitches,
  executionConsentOf,
  telemetryAllowedOf,
  queryState,
  type QueryState,
  runnability,
} from "../policy/approvals.js";
import { Tables } from "../tables.js";
import { type Caller, requireParticipant } from "./caller.js";
import {
  contractSwitches,
  requireAcceptedContract,
  requireContractParticipant,
} from "./contracts.js";
import { ApiError, badRequest, notFound } from "./errors.js";
import { pathParam } from "./http.js";
import { JsonTable } from "./records.js";

export type { DatasetRecord, QueryDocument };

// ---------------------------------------------------------------------------------------------
// Storage

/** A dataset's current revision, key `<contractId>/<datasetId>`; earlier ones at `…@<revision>`. */
export type StoredDataset = Omit<DatasetRecord, "version">;

/** A query, key `<contractId>/<queryId>`: who proposed it and how many versions it has. */
export interface StoredQuery {
  contractId: string;
  queryId: string;
  proposerId: string;
  /** The number of the latest version (versions are 1, 2, …). */
  latestVersion: number;
  /** Every principal that has been an approver of some version (they keep their switches). */
  approverIds: string[];
}

/** One version of a query, key `<contractId>/<queryId>@<n>`: immutable but for `withdrawn`. */
export interface StoredQueryVersion {
  contractId: string;
  queryId: string;
  /** The query version: "1", "2", … */
  version: string;
  proposerId: string;
  approvers: string[];
  document: QueryDocument;
  /** The revision of each dataset it reads or writes when it was proposed. */
  datasetRevisions: Record<string, number>;
  proposedAt: number;
  withdrawn?: { by: string; at: number };
}

/** The ballots on a version and the runs requested under it, key `<contractId>/<queryId>@<n>`. */
export interface StoredApprovals {
  ballots: Record<string, Ballot>;
  runsUsed: number;
}

/** One principal's switches, key `<contractId>/dataset|query/<id>/<principalId>`. */
export type StoredSwitches = ConsentSwitches & { updatedAt: number };

export const datasets = new JsonTable<StoredDataset>(Tables.datasets);
export const queries = new JsonTable<StoredQuery>(Tables.queries);
export const queryVersions = new JsonTable<StoredQueryVersion>(Tables.queries);
export const approvals = new JsonTable<StoredApprovals>(Tables.queryBallots);
export const switches = new JsonTable<StoredSwitches>(Tables.consent);

export const datasetKey = (contractId: string, datasetId: string) => `${contractId}/${datasetId}`;
export const datasetRevisionKey = (contractId: string, datasetId: string, revision: number) =>
  `${contractId}/${datasetId}@${revision}`;
export const queryKey = (contractId: string, queryId: string) => `${contractId}/${queryId}`;
export const queryVersionKey = (contractId: string, queryId: string, version: string | number) =>
  `${contractId}/${queryId}@${version}`;
export const switchKey = (
  contractId: string,
  kind: "dataset" | "query",
  id: string,
  principalId: string,
) => `${contractId}/${kind}/${id}/${principalId}`;

/** List names (lib/lists.ts) of a contract's datasets and queries, in order of first publication. */
export const datasetListName = (contractId: string) => `datasets:${contractId}`;
export const queryListName = (contractId: string) => `queries:${contractId}`;

/** Untrusted host time in unix seconds (CCF gives 0 until it is enabled). */
export function nowSeconds(): number {
  ccf.enableUntrustedDateTime(true);
  return Math.floor(Date.now() / 1000);
}

// ---------------------------------------------------------------------------------------------
// Reading

export function readDataset(contractId: string, datasetId: string): DatasetRecord | undefined {
  const stored = datasets.getVersioned(datasetKey(contractId, datasetId));
  if (!stored) return undefined;
  return { ...stored.value, version: stored.version };
}

/** A query version with its ballots and state. */
export interface QueryVersionView extends StoredQueryVersion {
  state: QueryState;
  ballots: Record<string, Ballot>;
  runsUsed: number;
}

export function readQueryVersion(
  contractId: string,
  queryId: string,
  version: string | number,
): QueryVersionView | undefined {
  const stored = queryVersions.get(queryVersionKey(contractId, queryId, version));
  if (!stored) return undefined;
  const votes = approvals.get(queryVersionKey(contractId, queryId, version)) ?? {
    ballots: {},
    runsUsed: 0,
  };
  return {
    ...stored,
    ballots: votes.ballots,
    runsUsed: votes.runsUsed,
    state: queryState(stored.approvers, votes.ballots, stored.withdrawn !== undefined),
  };
}

// ---------------------------------------------------------------------------------------------
// Runs

export interface RunnableQuery {
  contractId: string;
  queryId: string;
  /** The query version: "1", "2", … */
  version: string;
  proposerId: string;
  approvers: string[];
  inputs: { datasetId: string; view: string }[];
  /** The output dataset's id. */
  output: string;
  document: QueryDocument;
  /** The revision of each dataset it reads or writes (what its approvers approved). */
  datasetRevisions: Record<string, number>;
  /** The tightest expiry (unix seconds) among its approvals, if any. */
  expiresAt?: number;
  /** The tightest run quota among its approvals, if any, and the runs requested so far. */
  runQuota?: number;
  runsUsed: number;
}

export interface RunnableOptions {
  /**
   * The run being checked was already counted by `consumeRunQuota` (a key or token request of a
   * run in progress): the quota must allow it, not one more.
   */
  countedRun?: boolean;
}

/**
 * The accepted, unexpired, not-exhausted query version a run is for (latest accepted if version
 * omitted); throws ApiError: 404 QueryNotFound, 409 QueryNotAccepted, 410 ApprovalExpired,
 * 429 RunQuotaExhausted, 409 DatasetChanged (a dataset it names was republished since).
 */
export function requireRunnableQuery(
  contractId: string,
  queryId: string,
  version?: string,
  options: RunnableOptions = {},
): RunnableQuery {
  const query = queries.get(queryKey(contractId, queryId));
  if (!query) throw notFound("QueryNotFound", `There is no query ${queryId} in ${contractId}.`);
  let view: QueryVersionView | undefined;
  if (version !== undefined) {
    view = /^[1-9]\d{0,8}$/.test(version)
      ? readQueryVersion(contractId, queryId, version)
      : undefined;
    if (!view) {
      throw notFound("QueryNotFound", `Query ${queryId} has no version ${version}.`);
    }
  } else {
    for (let n = query.latestVersion; n >= 1 && !view; n--) {
      const candidate = readQueryVersion(contractId, queryId, n);
      if (candidate?.state === "Accepted") view = candidate;
    }
    if (!view) {
      throw new ApiError(
        409,
        "QueryNotAccepted",
        `No version of query ${queryId} is Accepted: its approvers must accept it first.`,
      );
    }
  }
  const verdict = runnability({
    state: view.state,
    approvers: view.approvers,
    ballots: view.ballots,
    runsUsed: view.runsUsed,
    now: nowSeconds(),
    countedRun: options.countedRun === true,
    changedDatasets: changedDatasets(contractId, view.datasetRevisions),
  });
  if (!verdict.ok) {
    const status = { QueryNotAccepted: 409, ApprovalExpired: 410, RunQuotaExhausted: 429 };
    throw new ApiError(
      status[verdict.code as keyof typeof status] ?? 409,
      verdict.code,
      `Query ${queryId} version ${view.version}: ${verdict.reason}`,
    );
  }
  return runnableOf(view);
}

function changedDatasets(contractId: string, revisions: Record<string, number>): string[] {
  return Object.entries(revisions)
    .filter(([id, revision]) => datasets.get(datasetKey(contractId, id))?.revision !== revision)
    .map(([id]) => id);
}

function runnableOf(view: QueryVersionView): RunnableQuery {
  const { expiresAt, runQuota } = approvalLimits(view.approvers, view.ballots);
  const runnable: RunnableQuery = {
    contractId: view.contractId,
    queryId: view.queryId,
    version: view.version,
    proposerId: view.proposerId,
    approvers: [...view.approvers],
    inputs: view.document.inputs.map(({ datasetId, view: name }) => ({ datasetId, view: name })),
    output: view.document.output.datasetId,
    document: view.document,
    datasetRevisions: { ...view.datasetRevisions },
    runsUsed: view.runsUsed,
  };
  if (expiresAt !== undefined) runnable.expiresAt = expiresAt;
  if (runQuota !== undefined) runnable.runQuota = runQuota;
  return runnable;
}

/** Counts one run against the approvals' quotas (call when a run is requested). */
export function consumeRunQuota(query: RunnableQuery): void {
  const key = queryVersionKey(query.contractId, query.queryId, query.version);
  const current = approvals.get(key) ?? { ballots: {}, runsUsed: 0 };
  approvals.set(key, { ...current, runsUsed: current.runsUsed + 1 });
  query.runsUsed = current.runsUsed + 1;
}

// ---------------------------------------------------------------------------------------------
// Consent

export function readSwitches(
  contractId: string,
  kind: "dataset" | "query",
  id: string,
  principalId: string,
): StoredSwitches | undefined {
  return switches.get(switchKey(contractId, kind, id, principalId));
}

/**
 * Execution consent for running this query now: every approver's switch for the query and for
 * each of its datasets, and the contract's execution switch. Read live: a switch takes effect at
 * the next key request.
 */
export function executionConsent(
  query: RunnableQuery,
): { ok: true } | { ok: false; code: string; reason: string } {
  const named = datasetsOf(query.document).map((datasetId) => ({
    datasetId,
    owner: datasets.get(datasetKey(query.contractId, datasetId))?.owner,
  }));
  const unpublished = named.find((d) => d.owner === undefined);
  if (unpublished) {
    return {
      ok: false,
      code: "DatasetNotFound",
      reason: `Dataset ${unpublished.datasetId} is not published in ${query.contractId}.`,
    };
  }
  return executionConsentOf({
    contractExecution: contractSwitches(query.contractId).execution,
    queryId: query.queryId,
    approvers: query.approvers,
    querySwitches: (approver) => readSwitches(query.contractId, "query", query.queryId, approver),
    datasets: named as { datasetId: string; owner: string }[],
    datasetSwitches: (datasetId, owner) =>
      readSwitches(query.contractId, "dataset", datasetId, owner),
  });
}

/**
 * Whether the runtime may send telemetry for a run of this query: the contract's telemetry switch
 * and every approver's telemetry switch for the query and its datasets (absent switches are on).
 */
export function telemetryConsent(query: RunnableQuery): boolean {
  return telemetryAllowedOf({
    contractTelemetry: contractSwitches(query.contractId).telemetry,
    approvers: query.approvers,
    querySwitches: (approver) => readSwitches(query.contractId, "query", query.queryId, approver),
    datasets: datasetsOf(query.document).flatMap((datasetId) => {
      const owner = datasets.get(datasetKey(query.contractId, datasetId))?.owner;
      return owner ? [{ datasetId, owner }] : [];
    }),
    datasetSwitches: (datasetId, owner) =>
      readSwitches(query.contractId, "dataset", datasetId, owner),
  });
}

// ---------------------------------------------------------------------------------------------
// Callers

/**
 * The caller and the accepted contract they participate in: 401/403 for strangers, 404
 * `ContractNotFound`, 409 `ContractNotAccepted`, 403 `NotAParticipant`.
 */
export function requireContractCaller(
  request: Request,
  contractId: string,
): { caller: Exclude<Caller, { kind: "anonymous" }>; contract: AcceptedContract } {
  const caller = requireParticipant(request);
  const contract = requireAcceptedContract(contractId);
  requireContractParticipant(contract, caller);
  return { caller, contract };
}

// ---------------------------------------------------------------------------------------------
// Requests

/** A path id (dataset or query id), or 400 `InvalidId`. */
export function idParam(request: Request, name: string): string {
  const id = pathParam(request, name);
  if (!ID_PATTERN.test(id)) {
    throw badRequest(
      "InvalidId",
      `'${name}' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.`,
    );
  }
  return id;
}

/** An optional `version` in a body: a string (JSON numbers are accepted and read as text). */
export function versionField(body: Record<string, unknown>): string | undefined {
  const version = body["version"];
  if (version === undefined) return undefined;
  if (typeof version === "number" && Number.isSafeInteger(version)) return String(version);
  if (typeof version === "string" && version.length > 0 && version.length <= 64) return version;
  throw badRequest("InvalidVersion", "'version' must be a non-empty string.");
}
