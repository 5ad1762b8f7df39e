// Access grants: a secret a data owner stores for a contract so that the clean room can reach the
// owner's storage (an Azure SAS for one container, S3 credentials for one bucket, …). Only its
// owner lists or deletes it; nobody reads it back; it is released, wrapped to the run's bound key,
// to an attested run whose query reads or writes a dataset of that owner, under the same rules
// as dataset keys. Values live only in a private table and are never logged or returned in clear.
import type { Request, Response } from "@microsoft/ccf-app";
import { ccf } from "@microsoft/ccf-app/global.js";
import type { SecretRequestPayload } from "../../../contracts/src/attestation.js";
import { base64Encode } from "../../../contracts/src/encoding.js";
import { datasetsOf } from "../../../contracts/src/query.js";
import { releaseChecks } from "../attestation/release.js";
import { check, requireRuntimeRequest, runtimeEndpoint } from "../attestation/runtime.js";
import { readDataset, requireContractCaller } from "../lib/approvals.js";
import { ApiError, badRequest, endpoint, notFound } from "../lib/errors.js";
import { recordEvent } from "../lib/events.js";
import { intParam, jsonBody, pathParam, queryParams } from "../lib/http.js";
import { wrapToRunKey } from "../lib/keys.js";
import { appendToList, listPage, pageBody } from "../lib/lists.js";
import { JsonTable } from "../lib/records.js";
import { isoTime, nowMs } from "../lib/runs.js";
import { grantVerdict } from "../policy/runs.js";
import { Tables } from "../tables.js";

export const GRANT_KINDS = ["azure-sas", "s3-credentials", "generic"] as const;
export type GrantKind = (typeof GRANT_KINDS)[number];

/** A grant as stored (private table), key `<contractId>/<ownerId>:<name>`. */
interface StoredGrant {
  secretId: string;
  name: string;
  ownerId: string;
  kind: GrantKind;
  value: string;
  /** Unix milliseconds. */
  expiresAt?: number;
  createdAt: string;
  updatedAt: string;
}

const grants = new JsonTable<StoredGrant>(Tables.accessGrants);
/** Names ever listed, key `<contractId>/<secretId>`: a name is appended to its list once. */
const grantIndex = new JsonTable<{ listed: true }>(Tables.accessGrantIndex);

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_SECRET_CHARS = 25600;

const grantKey = (contractId: string, secretId: string) => `${contractId}/${secretId}`;
const grantList = (contractId: string, ownerId: string) => `grants:${contractId}:${ownerId}`;
/** `<ownerId>:<name>`: names have no ':', so the last ':' splits it. */
export const secretIdOf = (ownerId: string, name: string) => `${ownerId}:${name}`;

function requireName(request: Request): string {
  const name = pathParam(request, "name");
  if (!NAME_PATTERN.test(name)) {
    throw badRequest(
      "InvalidName",
      "A secret's name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
    );
  }
  return name;
}

const metadata = (grant: StoredGrant, version?: string) => {
  const view: Record<string, unknown> = {
    secretId: grant.secretId,
    name: grant.name,
    kind: grant.kind,
    createdAt: grant.createdAt,
    updatedAt: grant.updatedAt,
  };
  if (grant.expiresAt !== undefined) view["expiresAt"] = isoTime(grant.expiresAt);
  if (version !== undefined) view["version"] = version;
  return view;
};

/** PUT /contracts/{contractId}/secrets/{name} {value, kind, expiresAt?, version?} */
export const putSecret = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  const name = requireName(request);
  const { caller } = requireContractCaller(request, contractId);
  const body = jsonBody(request);
  const value = body["value"];
  if (typeof value !== "string" || value.length === 0) {
    throw badRequest("ValueMissing", "value must be the secret, as a non-empty string.");
  }
  if (value.length > MAX_SECRET_CHARS) {
    throw badRequest("ValueTooLarge", `value must be at most ${MAX_SECRET_CHARS} characters.`);
  }
  const kind = body["kind"];
  if (!(GRANT_KINDS as readonly unknown[]).includes(kind)) {
    throw badRequest("InvalidKind", `kind must be one of ${GRANT_KINDS.join(", ")}.`);
  }
  const now = nowMs();
  let expiresAt: number | undefined;
  if (body["expiresAt"] !== undefined) {
    const text = body["expiresAt"];
    expiresAt = typeof text === "string" ? Date.parse(text) : NaN;
    if (!Number.isFinite(expiresAt) || !/^\d{4}-\d\d-\d\dT/.test(String(text))) {
      throw badRequest(
        "InvalidExpiry",
        "expiresAt must be an ISO 8601 time, e.g. 2030-01-31T00:00:00Z.",
      );
    }
    if (expiresAt <= now) throw badRequest("InvalidExpiry", "expiresAt is in the past.");
  }
  const version = body["version"];
  if (version !== undefined && typeof version !== "string") {
    throw badRequest("InvalidRequest", "version must be the version string from the listing.");
  }

  const secretId = secretIdOf(caller.id, name);
  const key = grantKey(contractId, secretId);
  const previous = grants.get(key);
  const grant: StoredGrant = {
    secretId,
    name,
    ownerId: caller.id,
    kind: kind as GrantKind,
    value,
    createdAt: previous?.createdAt ?? isoTime(now),
    updatedAt: isoTime(now),
  };
  if (expiresAt !== undefined) grant.expiresAt = expiresAt;
  grants.replace(key, grant, version, `Secret ${name}`);
  if (!grantIndex.has(key)) {
    grantIndex.set(key, { listed: true });
    appendToList(grantList(contractId, caller.id), secretId);
  }
  const details: Record<string, unknown> = { secretId, kind };
  if (expiresAt !== undefined) details["expiresAt"] = isoTime(expiresAt);
  recordEvent(contractId, "governance", {
    type: previous ? "secret.replaced" : "secret.stored",
    actor: caller.id,
    subject: secretId,
    details,
  });
  return { statusCode: previous ? 200 : 201, body: metadata(grant) };
});

/** GET /contracts/{contractId}/secrets?start=&limit= — the caller's own grants, never values. */
export const listSecrets = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  const { caller } = requireContractCaller(request, contractId);
  const params = queryParams(request);
  const start = intParam(params, "start", 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(params, "limit", 100, 1, 500);
  const page = listPage(grantList(contractId, caller.id), start, limit);
  const value = page.items.flatMap((secretId) => {
    const stored = grants.getVersioned(grantKey(contractId, secretId));
    return stored ? [metadata(stored.value, stored.version)] : [];
  });
  const path = `/app/contracts/${encodeURIComponent(contractId)}/secrets`;
  return { body: pageBody(value, page, path, limit) };
});

/** DELETE /contracts/{contractId}/secrets/{name}?version= — the caller's own grant. */
export const deleteSecret = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  const name = requireName(request);
  const { caller } = requireContractCaller(request, contractId);
  const version = queryParams(request).get("version");
  const secretId = secretIdOf(caller.id, name);
  const key = grantKey(contractId, secretId);
  const stored = grants.getVersioned(key);
  if (!stored) throw notFound("SecretNotFound", `You have no secret ${name} in ${contractId}.`);
  if (version !== undefined && version !== stored.version) {
    throw new ApiError(
      412,
      "PreconditionFailed",
      `Secret ${name} has version ${stored.version}, not ${version}: read it again and retry.`,
    );
  }
  grants.delete(key);
  recordEvent(contractId, "governance", {
    type: "secret.deleted",
    actor: caller.id,
    subject: secretId,
    details: { secretId },
  });
  return { statusCode: 204 };
});

/** POST /contracts/{contractId}/runs/{runId}/secrets/{secretId} (signed, purpose "secret") */
export const releaseSecret = runtimeEndpoint(
  { type: "secret", subjectParam: "secretId" },
  (request, contractId, runId) => {
    const secretId = pathParam(request, "secretId");
    const { run } = requireRuntimeRequest<SecretRequestPayload>(request, contractId, {
      runId,
      purpose: "secret",
      fields: { secretId },
    });
    const query = releaseChecks(run, contractId);
    const grant = grants.get(grantKey(contractId, secretId));
    if (!grant)
      throw notFound("SecretNotFound", `There is no secret ${secretId} in ${contractId}.`);
    const owners = datasetsOf(query.document).flatMap((datasetId) => {
      const owner = readDataset(contractId, datasetId)?.owner;
      return owner === undefined ? [] : [owner];
    });
    const facts: { ownerId: string; expiresAt?: number } = { ownerId: grant.ownerId };
    if (grant.expiresAt !== undefined) facts.expiresAt = grant.expiresAt;
    check(grantVerdict(facts, owners, nowMs()));
    const wrapped = wrapToRunKey(ccf.strToBuf(grant.value), run.claim!.publicKeyPem);

    recordEvent(contractId, "runtime", {
      type: "secret.released",
      actor: `runtime:${runId}`,
      subject: secretId,
      details: {
        runId,
        secretId,
        kind: grant.kind,
        queryId: query.queryId,
        queryVersion: query.version,
        keyDigest: run.claim!.keyDigest,
      },
    });
    const body: Record<string, unknown> = {
      secretId,
      kind: grant.kind,
      wrappedValue: base64Encode(new Uint8Array(wrapped)),
      algorithm: "RSA-OAEP-AES-KWP",
    };
    if (grant.expiresAt !== undefined) body["expiresAt"] = isoTime(grant.expiresAt);
    return { body };
  },
);
