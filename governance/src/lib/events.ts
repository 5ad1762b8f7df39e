// The audit trail: every governance decision and runtime report of a contract, appended in order.
// Each event's version is the id of the transaction that wrote it, so its receipt proves it.
import { Tables } from "../tables.js";
import { appendToList, listLength } from "./lists.js";
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

/** Stored events, keyed `<contractId>#<position>`. */
export const eventRecords = new JsonTable<AuditEvent & { scope: string }>(Tables.events);

export const eventListName = (contractId: string) => `events:${contractId}`;

/** Appends an event to a contract's trail (scope: `governance`, `runtime`, …). */
export function recordEvent(contractId: string, scope: string, event: AuditEvent): number {
  const list = eventListName(contractId);
  const key = `${contractId}#${listLength(list)}`;
  eventRecords.set(key, { ...event, scope });
  return appendToList(list, key);
}
