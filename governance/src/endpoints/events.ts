// The audit trail, read: a contract's events for its participants and the members, the
// consortium's for every member and user. Each event carries the id of the transaction that
// recorded it: `GET /app/receipt?transaction_id=<id>` proves it, offline.
import type { Request, Response } from "@microsoft/ccf-app";
import { requireParticipant } from "../lib/caller.js";
import { readAcceptedContract, requireContractParticipant } from "../lib/contracts.js";
import { badRequest, endpoint, notFound } from "../lib/errors.js";
import {
  CONSORTIUM,
  SCOPE_PATTERN,
  eventCount,
  listEvents,
  type EventQuery,
  type Trail,
} from "../lib/events.js";
import { intParam, pathParam, queryParams } from "../lib/http.js";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;
const MAX_SEQNO = Number.MAX_SAFE_INTEGER;

function parseQuery(request: Request): EventQuery {
  const params = queryParams(request);
  const scope = params.get("scope");
  if (scope !== undefined && !SCOPE_PATTERN.test(scope)) {
    throw badRequest(
      "InvalidParameter",
      "'scope' must be a lower-case name such as governance, runtime, keys or oidc.",
    );
  }
  const query: EventQuery = {
    start: intParam(params, "start", 0, 0, MAX_SEQNO),
    limit: intParam(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
  };
  if (scope !== undefined) query.scope = scope;
  if (params.has("from_seqno")) query.fromSeqno = intParam(params, "from_seqno", 0, 0, MAX_SEQNO);
  if (params.has("to_seqno")) query.toSeqno = intParam(params, "to_seqno", 0, 0, MAX_SEQNO);
  if (
    query.fromSeqno !== undefined &&
    query.toSeqno !== undefined &&
    query.toSeqno < query.fromSeqno
  ) {
    throw badRequest("InvalidParameter", "'to_seqno' must not be less than 'from_seqno'.");
  }
  return query;
}

function page(trail: Trail, query: EventQuery, path: string): Response {
  const { value, next } = listEvents(trail, query);
  if (next === undefined) return { body: { value } };
  const link = [`start=${next}`, `limit=${query.limit}`];
  if (query.scope !== undefined) link.push(`scope=${encodeURIComponent(query.scope)}`);
  if (query.toSeqno !== undefined) link.push(`to_seqno=${query.toSeqno}`);
  return { body: { value, nextLink: `${path}?${link.join("&")}` } };
}

/** GET /contracts/{contractId}/events?scope=&from_seqno=&to_seqno=&start=&limit= */
export const listContractEvents = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  const query = parseQuery(request);
  const caller = requireParticipant(request);
  const contract = readAcceptedContract(contractId);
  if (caller.kind === "member") {
    // Members govern every contract, including one whose trail began before its acceptance.
    if (!contract && eventCount({ contractId }) === 0) {
      throw notFound("ContractNotFound", `There is no contract ${contractId}.`);
    }
  } else {
    if (!contract) throw notFound("ContractNotFound", `There is no contract ${contractId}.`);
    requireContractParticipant(contract, caller);
  }
  return page({ contractId }, query, `/app/contracts/${encodeURIComponent(contractId)}/events`);
});

/** GET /events?scope=&from_seqno=&to_seqno=&start=&limit= : the consortium's own trail. */
export const listConsortiumEvents = endpoint((request: Request): Response => {
  const query = parseQuery(request);
  requireParticipant(request);
  return page(CONSORTIUM, query, "/app/events");
});
