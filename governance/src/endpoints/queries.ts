// Queries of a contract (issue 5, item 3): a participant proposes a query; its approvers are the
// owners of every dataset it reads or writes; every edit is a new version needing new votes.
import type { Request, Response } from "@microsoft/ccf-app";
import {
  datasetsOf,
  validateQueryDocument,
  type QueryDocument,
} from "../../../contracts/src/query.js";
import {
  approvals,
  datasetKey,
  datasets,
  executionConsent,
  nowSeconds,
  queries,
  queryKey,
  queryListName,
  queryVersionKey,
  queryVersions,
  readQueryVersion,
  requireContractCaller,
  requireRunnableQuery,
  type QueryVersionView,
  type StoredQuery,
  type StoredQueryVersion,
  idParam,
  versionField,
} from "../lib/approvals.js";
import { ApiError, badRequest, conflict, endpoint, forbidden, notFound } from "../lib/errors.js";
import { recordEvent } from "../lib/events.js";
import { intParam, jsonBody, pathParam, queryParams } from "../lib/http.js";
import { appendToList, listPage, pageBody } from "../lib/lists.js";
import { audited } from "../lib/refusals.js";
import { approversOf, queryState, type Ballot, type Vote } from "../policy/approvals.js";

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;
/** Versions are numbered 1, 2, … */
const VERSION_NUMBER = /^[1-9]\d{0,8}$/;
/** The longest an approval may last: ten years. */
const MAX_APPROVAL_SECONDS = 10 * 365 * 24 * 3600;
const MAX_RUN_QUOTA = 1_000_000_000;

function requireQuery(contractId: string, queryId: string): StoredQuery {
  const query = queries.get(queryKey(contractId, queryId));
  if (!query) throw notFound("QueryNotFound", `There is no query ${queryId} in ${contractId}.`);
  return query;
}

function requireVersion(query: StoredQuery, version: string): QueryVersionView {
  const view = VERSION_NUMBER.test(version)
    ? readQueryVersion(query.contractId, query.queryId, version)
    : undefined;
  if (!view) {
    throw notFound(
      "QueryVersionNotFound",
      `Query ${query.queryId} has no version ${version} (its latest is ${query.latestVersion}).`,
    );
  }
  return view;
}

function onlyKeys(body: Record<string, unknown>, allowed: string[], code: string): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw badRequest(
      code,
      `Unknown properties ${unknown.join(", ")}: send {${allowed.join(", ")}}.`,
    );
  }
}

/** A query version as participants see it. */
function versionBody(view: QueryVersionView, query: StoredQuery): object {
  return { ...view, superseded: Number(view.version) < query.latestVersion };
}

/**
 * PUT /contracts/{contractId}/queries/{queryId} — body `{document, version?}`. The first PUT
 * proposes version 1; the proposer edits by sending the latest version number as `version`
 * (409 `VersionRequired` without it, 412 `PreconditionFailed` when it is not the latest), which
 * proposes the next version with no ballots.
 */
export const putQuery = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  const { caller } = requireContractCaller(request, contractId);
  const queryId = pathParam(request, "queryId");
  return audited(contractId, caller.id, "query.propose", queryId, () => {
    idParam(request, "queryId");
    const body = jsonBody(request);
    onlyKeys(body, ["document", "version"], "InvalidQuery");
    const problems = validateQueryDocument(body["document"]);
    if (problems.length > 0) {
      throw badRequest("InvalidQuery", `The query document is invalid: ${problems.join("; ")}.`);
    }
    const document = body["document"] as QueryDocument;
    const expected = versionField(body);

    const current = queries.get(queryKey(contractId, queryId));
    if (current && current.proposerId !== caller.id) {
      throw forbidden(
        "NotTheProposer",
        `Query ${queryId} was proposed by ${current.proposerId}: only its proposer edits it.`,
      );
    }
    if (current && expected === undefined) {
      throw conflict(
        "VersionRequired",
        `Query ${queryId} exists: pass its latest version (${current.latestVersion}) to edit it.`,
      );
    }
    if (expected !== undefined && String(current?.latestVersion) !== expected) {
      throw new ApiError(
        412,
        "PreconditionFailed",
        current
          ? `Query ${queryId} is at version ${current.latestVersion}, not ${expected}: read it again and retry.`
          : `Query ${queryId} does not exist, so it has no version ${expected}.`,
      );
    }

    const named = datasetsOf(document);
    const stored = new Map(named.map((id) => [id, datasets.get(datasetKey(contractId, id))]));
    const { approvers, missing } = approversOf(named, (id) => stored.get(id)?.owner);
    if (missing.length > 0) {
      throw conflict(
        "DatasetNotPublished",
        `Dataset(s) ${missing.join(", ")} are not published in ${contractId}: their owners publish them first.`,
      );
    }

    const version = (current?.latestVersion ?? 0) + 1;
    const record: StoredQueryVersion = {
      contractId,
      queryId,
      version: String(version),
      proposerId: caller.id,
      approvers,
      document,
      datasetRevisions: Object.fromEntries(named.map((id) => [id, stored.get(id)!.revision])),
      proposedAt: nowSeconds(),
    };
    const key = queryVersionKey(contractId, queryId, version);
    queryVersions.set(key, record);
    approvals.set(key, { ballots: {}, runsUsed: 0 });
    const head: StoredQuery = {
      contractId,
      queryId,
      proposerId: caller.id,
      latestVersion: version,
      approverIds: [...new Set([...(current?.approverIds ?? []), ...approvers])],
    };
    queries.set(queryKey(contractId, queryId), head);
    if (!current) appendToList(queryListName(contractId), queryId);
    recordEvent(contractId, "governance", {
      type: "query.proposed",
      actor: caller.id,
      subject: queryId,
      details: { version: record.version, approvers, datasetRevisions: record.datasetRevisions },
    });
    const view: QueryVersionView = { ...record, ballots: {}, runsUsed: 0, state: "Proposed" };
    return { statusCode: 201, body: versionBody(view, head) };
  });
});

/** The body of approve and reject: `{version, expiresAt?, runQuota?}` (limits only to accept). */
function ballotOf(
  body: Record<string, unknown>,
  vote: Vote,
  now: number,
): { version: string; ballot: Ballot } {
  onlyKeys(
    body,
    vote === "accept" ? ["version", "expiresAt", "runQuota"] : ["version"],
    "InvalidBallot",
  );
  const version = versionField(body);
  if (version === undefined) {
    throw badRequest("InvalidBallot", "'version' is required: the query version you vote on.");
  }
  const ballot: Ballot = { vote, at: now };
  const expiresAt = body["expiresAt"];
  if (expiresAt !== undefined) {
    if (typeof expiresAt !== "number" || !Number.isSafeInteger(expiresAt)) {
      throw badRequest("InvalidBallot", "'expiresAt' must be an integer (unix seconds).");
    }
    if (expiresAt <= now || expiresAt > now + MAX_APPROVAL_SECONDS) {
      throw badRequest(
        "InvalidBallot",
        `'expiresAt' must be in the future and at most ten years ahead (now is ${now}).`,
      );
    }
    ballot.expiresAt = expiresAt;
  }
  const runQuota = body["runQuota"];
  if (runQuota !== undefined) {
    if (
      typeof runQuota !== "number" ||
      !Number.isInteger(runQuota) ||
      runQuota < 1 ||
      runQuota > MAX_RUN_QUOTA
    ) {
      throw badRequest(
        "InvalidBallot",
        `'runQuota' must be an integer from 1 to ${MAX_RUN_QUOTA}.`,
      );
    }
    ballot.runQuota = runQuota;
  }
  return { version, ballot };
}

function vote(vote: Vote) {
  return endpoint((request: Request): Response => {
    const contractId = pathParam(request, "contractId");
    const { caller } = requireContractCaller(request, contractId);
    const queryId = pathParam(request, "queryId");
    return audited(contractId, caller.id, `query.${vote}`, queryId, () => {
      const now = nowSeconds();
      const { version, ballot } = ballotOf(jsonBody(request), vote, now);
      const query = requireQuery(contractId, queryId);
      const view = requireVersion(query, version);
      if (!view.approvers.includes(caller.id)) {
        throw forbidden(
          "NotAnApprover",
          `Only the owners of the datasets query ${queryId} names vote on it: ${view.approvers.join(", ")}.`,
        );
      }
      if (Number(version) !== query.latestVersion) {
        throw conflict(
          "StaleVersion",
          `Version ${version} of query ${queryId} was superseded by version ${query.latestVersion}: vote on that.`,
        );
      }
      if (view.ballots[caller.id]) {
        throw conflict(
          "AlreadyVoted",
          `You already voted ${view.ballots[caller.id]!.vote} on version ${version} of query ${queryId}.`,
        );
      }
      if (view.state !== "Proposed") {
        throw conflict(
          "QueryNotProposed",
          `Version ${version} of query ${queryId} is ${view.state}: it takes no more votes.`,
        );
      }
      const changed = Object.entries(view.datasetRevisions)
        .filter(([id, revision]) => datasets.get(datasetKey(contractId, id))?.revision !== revision)
        .map(([id]) => id);
      if (vote === "accept" && changed.length > 0) {
        throw conflict(
          "DatasetChanged",
          `Dataset(s) ${changed.join(", ")} were republished after version ${version} was proposed: its proposer proposes it again.`,
        );
      }

      const ballots = { ...view.ballots, [caller.id]: ballot };
      approvals.set(queryVersionKey(contractId, queryId, version), {
        ballots,
        runsUsed: view.runsUsed,
      });
      const state = queryState(view.approvers, ballots, false);
      recordEvent(contractId, "governance", {
        type: "query.voted",
        actor: caller.id,
        subject: queryId,
        details: { version, vote, state, ...limitsOf(ballot) },
      });
      if (state !== "Proposed") {
        recordEvent(contractId, "governance", {
          type: state === "Accepted" ? "query.accepted" : "query.rejected",
          actor: "governance",
          subject: queryId,
          details: { version, approvers: view.approvers },
        });
      }
      return { body: versionBody({ ...view, ballots, state }, query) };
    });
  });
}

function limitsOf(ballot: Ballot): object {
  return {
    ...(ballot.expiresAt !== undefined ? { expiresAt: ballot.expiresAt } : {}),
    ...(ballot.runQuota !== undefined ? { runQuota: ballot.runQuota } : {}),
  };
}

/** POST /contracts/{contractId}/queries/{queryId}/approve — `{version, expiresAt?, runQuota?}` */
export const approveQuery = vote("accept");

/** POST /contracts/{contractId}/queries/{queryId}/reject — `{version}` */
export const rejectQuery = vote("reject");

/**
 * POST /contracts/{contractId}/queries/{queryId}/withdraw — `{version?}` (default: the latest).
 * The proposer takes back a Proposed or Accepted version: it will not run again.
 */
export const withdrawQuery = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  const { caller } = requireContractCaller(request, contractId);
  const queryId = pathParam(request, "queryId");
  return audited(contractId, caller.id, "query.withdraw", queryId, () => {
    const body = request.body.arrayBuffer().byteLength === 0 ? {} : jsonBody(request);
    onlyKeys(body, ["version"], "InvalidRequest");
    const query = requireQuery(contractId, queryId);
    if (query.proposerId !== caller.id) {
      throw forbidden(
        "NotTheProposer",
        `Only the proposer of query ${queryId} (${query.proposerId}) withdraws it.`,
      );
    }
    const version = versionField(body) ?? String(query.latestVersion);
    const view = requireVersion(query, version);
    if (view.state !== "Proposed" && view.state !== "Accepted") {
      throw conflict(
        "CannotWithdraw",
        `Version ${version} of query ${queryId} is ${view.state}: only a Proposed or Accepted version is withdrawn.`,
      );
    }
    const withdrawn = { by: caller.id, at: nowSeconds() };
    const { ballots: _b, runsUsed: _r, state: _s, ...stored } = view;
    queryVersions.set(queryVersionKey(contractId, queryId, version), { ...stored, withdrawn });
    recordEvent(contractId, "governance", {
      type: "query.withdrawn",
      actor: caller.id,
      subject: queryId,
      details: { version, previousState: view.state },
    });
    return { body: versionBody({ ...view, withdrawn, state: "Withdrawn" }, query) };
  });
});

/**
 * GET /contracts/{contractId}/queries/{queryId}[?version=n] — the query and every version (or
 * only version n), newest first, with states and ballots.
 */
export const getQuery = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  requireContractCaller(request, contractId);
  const query = requireQuery(contractId, pathParam(request, "queryId"));
  const only = queryParams(request).get("version");
  if (only !== undefined) return { body: versionBody(requireVersion(query, only), query) };
  const versions: object[] = [];
  for (let n = query.latestVersion; n >= 1; n--) {
    const view = readQueryVersion(contractId, query.queryId, n);
    if (view) versions.push(versionBody(view, query));
  }
  return { body: { ...query, versions } };
});

/** GET /contracts/{contractId}/queries[?start&limit] — each query with its latest version. */
export const listQueries = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  requireContractCaller(request, contractId);
  const params = queryParams(request);
  const start = intParam(params, "start", 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(params, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
  const page = listPage(queryListName(contractId), start, limit);
  const value: object[] = [];
  for (const queryId of page.items) {
    const query = queries.get(queryKey(contractId, queryId));
    const latest = query && readQueryVersion(contractId, queryId, query.latestVersion);
    if (query && latest) value.push({ ...query, latest: versionBody(latest, query) });
  }
  const path = `/app/contracts/${encodeURIComponent(contractId)}/queries`;
  return { body: pageBody(value, page, path, limit) };
});

/**
 * GET /contracts/{contractId}/queries/{queryId}/runnable[?version=n] — whether a run of the
 * query (version n, else its latest Accepted version) would be allowed now, and if not why:
 * the same checks a run request and a key release make, read live.
 */
export const runnableQuery = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  requireContractCaller(request, contractId);
  const queryId = pathParam(request, "queryId");
  const version = queryParams(request).get("version");
  let runnable;
  try {
    runnable = requireRunnableQuery(contractId, queryId, version);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code === "QueryNotFound") throw error;
    return { body: { runnable: false, code: error.code, reason: error.message } };
  }
  const consent = executionConsent(runnable);
  const summary = {
    version: runnable.version,
    runsUsed: runnable.runsUsed,
    ...(runnable.expiresAt !== undefined ? { expiresAt: runnable.expiresAt } : {}),
    ...(runnable.runQuota !== undefined ? { runQuota: runnable.runQuota } : {}),
  };
  if (!consent.ok) {
    return { body: { runnable: false, code: consent.code, reason: consent.reason, ...summary } };
  }
  return { body: { runnable: true, ...summary } };
});
