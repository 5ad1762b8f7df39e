// The audit trail: every governance decision and runtime report of a contract, appended in order,
// plus one consortium-wide trail for what concerns no single contract (the OIDC issuer's keys).
//
// Storage (flat per-page cost at any length):
// - each event is one record in `Tables.events`, keyed `<trail>#<position>`; its version is the id
//   of the transaction that appended it, so that transaction's receipt proves the event;
// - two append-only lists (lib/lists.ts) per trail: every event, and the events of one scope.
// Events are appended in seqno order, so a seqno range is found by binary search over positions.
//
// An event recorded by a request that then fails (non-2xx) is discarded with the request's other
// writes. To keep a refusal in the trail, use `recordRefusal` (it forces the write to apply):
// only before any other write of the request, or those would be applied too.
import { ccf } from "@microsoft/ccf-app/global.js";
import { Tables } from "../tables.js";
import { appendToList, listLength, listPage } from "./lists.js";
import { JsonTable } from "./records.js";

export interface AuditEvent {
  /** What happened, e.g. `dataset.published`, `key.released`, `key.refused`, `run.completed`. */
  type: string;
  /** Who did it: a member or user id, `runtime:<runId>`, or `governance`. */
  actor: string;
  /** What it concerns: a dataset, query or run id. */
  subject?: string;
  /** Facts for people and tools; never a secret. */
  details: Record<string, unknown>;
}

/** An event as stored: with its scope and its position in its trail. */
export interface StoredEvent extends AuditEvent {
  position: number;
  scope: string;
}

/** An event as listed: with the id of the transaction that recorded it (ask for its receipt). */
export interface ListedEvent extends StoredEvent {
  transactionId: string;
}

/** Scopes are short lower-case names: `governance`, `runtime`, `keys`, `oidc`, `consent`, … */
export const SCOPE_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/;

/** A trail: one contract's, or the consortium's (`CONSORTIUM`). */
export type Trail = { contractId: string } | typeof CONSORTIUM;
export const CONSORTIUM = "consortium" as const;

const eventRecords = new JsonTable<StoredEvent>(Tables.events);

// encodeURIComponent keeps contract ids from colliding with the separators used here; the
// consortium's name starts with `@`, which encodeURIComponent never leaves bare.
function trailName(trail: Trail): string {
  return trail === CONSORTIUM ? "@consortium" : encodeURIComponent(trail.contractId);
}
const allList = (trail: Trail) => `events:${trailName(trail)}`;
const scopeList = (trail: Trail, scope: string) => `events:${trailName(trail)}:${scope}`;

function append(trail: Trail, scope: string, event: AuditEvent): number {
  if (!SCOPE_PATTERN.test(scope)) throw new TypeError(`Invalid event scope '${scope}'.`);
  const list = allList(trail);
  const position = listLength(list);
  const key = `${trailName(trail)}#${position}`;
  const stored: StoredEvent = {
    position,
    scope,
    type: event.type,
    actor: event.actor,
    details: event.details,
  };
  if (event.subject !== undefined) stored.subject = event.subject;
  eventRecords.set(key, stored);
  appendToList(list, key);
  appendToList(scopeList(trail, scope), key);
  return position;
}

/** Appends an event to a contract's trail (scope: `governance`, `runtime`, …); its position. */
export function recordEvent(contractId: string, scope: string, event: AuditEvent): number {
  return append({ contractId }, scope, event);
}

/** Appends an event to the consortium's trail (what concerns no single contract). */
export function recordConsortiumEvent(scope: string, event: AuditEvent): number {
  return append(CONSORTIUM, scope, event);
}

/**
 * Records a refusal in a contract's trail and makes it stick although the response will be an
 * error: call it only before the request's other writes (all of them would be applied).
 */
export function recordRefusal(contractId: string, scope: string, event: AuditEvent): number {
  const position = recordEvent(contractId, scope, event);
  ccf.rpc.setApplyWrites(true);
  return position;
}

export interface EventQuery {
  /** Only events of this scope. */
  scope?: string;
  /** Only events recorded at or after this seqno. */
  fromSeqno?: number;
  /** Only events recorded at or before this seqno. */
  toSeqno?: number;
  /** Position in the listed sequence (all events, or the scope's) to start from. */
  start: number;
  limit: number;
}

export interface EventPage {
  value: ListedEvent[];
  /** Where the next page starts in the listed sequence, if there is one. */
  next?: number;
}

/** The seqno of the transaction that appended the event at `key`. */
function seqnoOf(key: string): number {
  const seqno = ccf.kv[Tables.events]!.getVersionOfPreviousWrite(ccf.strToBuf(key));
  // Every listed key was written by an earlier, applied transaction.
  return seqno ?? Number.MAX_SAFE_INTEGER;
}

function keyAt(list: string, position: number): string | undefined {
  return listPage(list, position, 1).items[0];
}

/** The first position in [lo, hi) whose event was recorded at or after `seqno` (else hi). */
function firstAtOrAfter(list: string, seqno: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const key = keyAt(list, mid);
    if (key !== undefined && seqnoOf(key) < seqno) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A page of a trail: O(limit + log n) reads whatever the trail's length (binary search for
 * `fromSeqno`, then one page of positions).
 */
export function listEvents(trail: Trail, query: EventQuery): EventPage {
  const list = query.scope === undefined ? allList(trail) : scopeList(trail, query.scope);
  const length = listLength(list);
  let begin = Math.min(query.start, length);
  if (query.fromSeqno !== undefined) {
    begin = firstAtOrAfter(list, query.fromSeqno, begin, length);
  }
  const page = listPage(list, begin, query.limit);
  const value: ListedEvent[] = [];
  for (const key of page.items) {
    const record = eventRecords.getVersioned(key);
    if (record === undefined) continue;
    const seqno = Number(record.version.slice(record.version.indexOf(".") + 1));
    if (query.toSeqno !== undefined && seqno > query.toSeqno) return { value };
    value.push({ ...record.value, transactionId: record.version });
  }
  if (page.next === undefined) return { value };
  if (query.toSeqno !== undefined) {
    const nextKey = keyAt(list, page.next);
    if (nextKey === undefined || seqnoOf(nextKey) > query.toSeqno) return { value };
  }
  return { value, next: page.next };
}

/** The number of events in a trail (or in one scope of it). */
export function eventCount(trail: Trail, scope?: string): number {
  return listLength(scope === undefined ? allList(trail) : scopeList(trail, scope));
}
