// Key-encryption keys and the statement key: members make the current generation's KEK (rotation
// is a governance decision, `rotate_kek`); every member and user reads the public keys, to wrap
// DEKs to a KEK or to verify run statements. Private halves are never returned.
import type { Request, Response } from "@microsoft/ccf-app";
import { requireMember, requireParticipant } from "../lib/caller.js";
import { endpoint, notFound } from "../lib/errors.js";
import { recordConsortiumEvent } from "../lib/events.js";
import { intParam, pathParam, queryParams } from "../lib/http.js";
import {
  createKek,
  currentGeneration,
  currentKek,
  KEK_LIST,
  keks,
  readStatementKey,
  statementKey,
  type KekRecord,
} from "../lib/keys.js";
import { listPage, pageBody } from "../lib/lists.js";
import { isoTime, nowMs } from "../lib/runs.js";

const view = (record: KekRecord) => ({
  kekId: record.kekId,
  publicKeyPem: record.publicKeyPem,
  createdAt: record.createdAt,
  generation: record.generation,
  current: record.generation === currentGeneration(),
});

/**
 * POST /keys — the current generation's KEK: made now (201) if no member has made it yet, else
 * the existing one (200). Also makes the statement key if there is none.
 */
export const createKey = endpoint((request: Request): Response => {
  const member = requireMember(request);
  const existing = currentKek();
  if (existing) return { statusCode: 200, body: view(existing) };
  const now = isoTime(nowMs());
  const record = createKek(member.id, now);
  statementKey(now);
  recordConsortiumEvent("keys", {
    type: "kek.created",
    actor: member.id,
    subject: record.kekId,
    details: { kekId: record.kekId, generation: record.generation },
  });
  return { statusCode: 201, body: view(record) };
});

/** GET /keys?start=&limit= — every KEK's public key, oldest first. */
export const listKeys = endpoint((request: Request): Response => {
  requireParticipant(request);
  const params = queryParams(request);
  const start = intParam(params, "start", 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(params, "limit", 100, 1, 500);
  const page = listPage(KEK_LIST, start, limit);
  const value = page.items.flatMap((kekId) => {
    const record = keks.get(kekId);
    return record ? [view(record)] : [];
  });
  return { body: pageBody(value, page, "/app/keys", limit) };
});

/** GET /keys/current — the KEK to wrap new DEKs to. */
export const getCurrentKey = endpoint((request: Request): Response => {
  requireParticipant(request);
  const record = currentKek();
  if (!record) {
    throw notFound(
      "NoCurrentKek",
      `No KEK has been made for generation ${currentGeneration()}: a member must POST /app/keys.`,
    );
  }
  return { body: view(record) };
});

/** GET /keys/{kekId} */
export const getKey = endpoint((request: Request): Response => {
  requireParticipant(request);
  const kekId = pathParam(request, "kekId");
  const record = keks.get(kekId);
  if (!record) throw notFound("KekNotFound", `There is no KEK ${kekId}.`);
  return { body: view(record) };
});

/** GET /keys/statement — the public key that verifies run statements. */
export const getStatementKey = endpoint((request: Request): Response => {
  requireParticipant(request);
  const key = readStatementKey();
  if (!key) {
    throw notFound(
      "StatementKeyNotCreated",
      "Governance has not made its statement key yet: it is made with the first KEK or the " +
        "first completed run.",
    );
  }
  return { body: key };
});
