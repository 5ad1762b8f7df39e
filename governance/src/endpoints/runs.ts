// Runs: a participant entitled by an Accepted query requests one; an attested clean room claims
// it (evidence bound to its key and a one-time nonce), obtains the dataset keys its query needs,
// reports progress and completion; governance signs a statement binding the outputs to the run.
// The clean-room endpoints are anonymous in CCF's terms: the claim authenticates by attestation,
// every later request by the signature of the key the claim bound (attestation/runtime.ts).
import type { Request, Response } from "@microsoft/ccf-app";
import { ccf } from "@microsoft/ccf-app/global.js";
import {
  checkCounters,
  checkOutputDigests,
  parseClaimRequest,
  reportDataHex,
  runStatementText,
  type CompletePayload,
  type FailPayload,
  type KeyRequestPayload,
  type OutputDigest,
  type ProgressPayload,
  type RunStatement,
} from "../../../contracts/src/attestation.js";
import { ID_PATTERN } from "../../../contracts/src/dataset.js";
import { validateQueryParameters } from "../../../contracts/src/query.js";
import { base64Encode } from "../../../contracts/src/encoding.js";
import { randomHex, sha256, sha256Hex } from "../attestation/bytes.js";
import { verifyEvidence } from "../attestation/evidence.js";
import { refuseConsent, releaseChecks } from "../attestation/release.js";
import { check, requireRuntimeRequest, runtimeEndpoint } from "../attestation/runtime.js";
import {
  consumeRunQuota,
  readDataset,
  requireContractCaller,
  requireRunnableQuery,
} from "../lib/approvals.js";
import { requireAcceptedContract } from "../lib/contracts.js";
import { badRequest, endpoint, forbidden, notFound } from "../lib/errors.js";
import { recordEvent } from "../lib/events.js";
import { intParam, jsonBody, pathParam, queryParams } from "../lib/http.js";
import { signStatement, statementKey, unwrapDek, wrapToRunKey } from "../lib/keys.js";
import { appendToList, listPage, pageBody, type Page } from "../lib/lists.js";
import { audited } from "../lib/refusals.js";
import { JsonTable } from "../lib/records.js";
import {
  addPendingRun,
  isoTime,
  nowMs,
  pendingRuns,
  removePendingRun,
  requireRun,
  runKey,
  runListName,
  runNonces,
  runs,
  type RunRecord,
  type RunSummary,
} from "../lib/runs.js";
import {
  claimsVerdict,
  DEFAULT_NONCE_LIFETIME_SECONDS,
  nonceVerdict,
  outstandingNonce,
  platformVerdict,
  type NonceRecord,
} from "../policy/attestation.js";
import {
  datasetRole,
  datasetVerdict,
  isEntitled,
  nextState,
  outputsVerdict,
  sequenceVerdict,
  stateVerdict,
} from "../policy/runs.js";
import { Tables } from "../tables.js";

/** One run's releases of one dataset key, key `<contractId>/<runId>/<datasetId>`. */
interface KeyRelease {
  count: number;
  firstAt: string;
  lastAt: string;
  kekId: string;
}

/** A signed run statement, key `<contractId>/<runId>`. */
interface StoredStatement {
  statement: string;
  signature: string;
  publicKeyPem: string;
  keyId: string;
}

const keyReleases = new JsonTable<KeyRelease>(Tables.keyReleases);
const statements = new JsonTable<StoredStatement>(Tables.runStatements);
const keyReleasePolicy = new JsonTable<{ nonceLifetimeSeconds?: number }>(Tables.keyReleasePolicy);

const MAX_PARAMETERS_CHARS = 16384;

function nonceLifetimeMs(): number {
  const seconds = keyReleasePolicy.get("policy")?.nonceLifetimeSeconds;
  return (
    (typeof seconds === "number" && seconds > 0 ? seconds : DEFAULT_NONCE_LIFETIME_SECONDS) * 1000
  );
}

const summary = (run: RunRecord): RunSummary => ({
  runId: run.runId,
  queryId: run.queryId,
  queryVersion: run.queryVersion,
  state: run.state,
  requestedBy: run.requestedBy,
  requestedAt: run.requestedAt,
});

// ---------------------------------------------------------------------------------------------
// Participants

/** POST /contracts/{contractId}/runs {queryId, queryVersion?, parameters?} */
export const requestRun = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  const { caller } = requireContractCaller(request, contractId);
  const body = jsonBody(request);
  const queryId = body["queryId"];
  return audited(contractId, caller.id, "run.request", String(queryId), () => {
    if (typeof queryId !== "string" || !ID_PATTERN.test(queryId)) {
      throw badRequest(
        "InvalidRequest",
        "queryId must be the id of one of the contract's queries.",
      );
    }
    const version = body["queryVersion"];
    if (version !== undefined && typeof version !== "string") {
      throw badRequest("InvalidRequest", 'queryVersion must be a version string such as "2".');
    }
    const parameters = body["parameters"] ?? {};
    if (JSON.stringify(parameters).length > MAX_PARAMETERS_CHARS) {
      throw badRequest(
        "InvalidParameters",
        `parameters must be at most ${MAX_PARAMETERS_CHARS} characters of JSON.`,
      );
    }
    const query = requireRunnableQuery(contractId, queryId, version);
    if (!isEntitled(caller.id, query)) {
      throw forbidden(
        "NotEntitled",
        `Only the proposer and the approvers of query ${queryId} may request its runs.`,
      );
    }
    const problems = validateQueryParameters(query.document, parameters);
    if (problems.length > 0) throw badRequest("InvalidParameters", problems.join("; "));
    refuseConsent(query);

    consumeRunQuota(query);
    const runId = randomHex(16);
    const run: RunRecord = {
      contractId,
      runId,
      queryId,
      queryVersion: query.version,
      parameters: parameters as Record<string, unknown>,
      requestedBy: caller.id,
      requestedAt: isoTime(nowMs()),
      state: "Requested",
      inputs: query.inputs,
      output: query.output,
    };
    runs.set(runKey(contractId, runId), run);
    appendToList(runListName(contractId), runId);
    addPendingRun(contractId, {
      runId,
      queryId,
      queryVersion: query.version,
      requestedAt: run.requestedAt,
    });
    recordEvent(contractId, "governance", {
      type: "run.requested",
      actor: caller.id,
      subject: runId,
      details: { runId, queryId, queryVersion: query.version },
    });
    return {
      statusCode: 201,
      body: { runId, state: run.state, queryId, queryVersion: query.version },
    };
  });
});

/** GET /contracts/{contractId}/runs?start=&limit= — oldest first. */
export const listRuns = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  requireContractCaller(request, contractId);
  const params = queryParams(request);
  const start = intParam(params, "start", 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(params, "limit", 100, 1, 500);
  const page = listPage(runListName(contractId), start, limit);
  const value = page.items.flatMap((runId) => {
    const run = runs.get(runKey(contractId, runId));
    return run ? [summary(run)] : [];
  });
  const path = `/app/contracts/${encodeURIComponent(contractId)}/runs`;
  return { body: pageBody(value, page, path, limit) };
});

/**
 * GET /contracts/{contractId}/pending-runs?start=&limit= (anonymous) — the runs waiting for a
 * clean room, oldest first. Anonymous because the clean room has no identity before its claim;
 * it reveals ids and times only, no parameters and no requester.
 */
export const listPendingRuns = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  requireAcceptedContract(contractId);
  const params = queryParams(request);
  const start = intParam(params, "start", 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(params, "limit", 100, 1, 500);
  const pending = pendingRuns(contractId);
  const end = Math.min(pending.length, start + limit);
  const page: Page = { items: [] };
  if (end < pending.length) page.next = end;
  const path = `/app/contracts/${encodeURIComponent(contractId)}/pending-runs`;
  return { body: pageBody(pending.slice(start, end), page, path, limit) };
});

/** GET /contracts/{contractId}/runs/{runId} */
export const getRun = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  requireContractCaller(request, contractId);
  const run = requireRun(contractId, pathParam(request, "runId"));
  return { body: { ...run.value, version: run.version } };
});

/** GET /contracts/{contractId}/runs/{runId}/statement */
export const getRunStatement = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  requireContractCaller(request, contractId);
  const run = requireRun(contractId, pathParam(request, "runId"));
  const stored = statements.getVersioned(runKey(contractId, run.value.runId));
  if (!stored) {
    throw notFound(
      "StatementNotFound",
      `Run ${run.value.runId} is ${run.value.state}: a statement is signed when it completes.`,
    );
  }
  return {
    body: {
      statement: stored.value.statement,
      signature: stored.value.signature,
      publicKeyPem: stored.value.publicKeyPem,
      keyId: stored.value.keyId,
      transactionId: stored.version,
    },
  };
});

// ---------------------------------------------------------------------------------------------
// The clean room: nonce and claim (attestation)

/** POST /contracts/{contractId}/runs/{runId}/nonce — the run's one outstanding nonce. */
export const issueNonce = runtimeEndpoint({ type: "run.nonce" }, (_request, contractId, runId) => {
  const run = requireRun(contractId, runId).value;
  check(stateVerdict(run.state, "claim"));
  const key = runKey(contractId, runId);
  const now = nowMs();
  let record = outstandingNonce(runNonces.get(key), now);
  if (!record) {
    record = { nonce: randomHex(32), issuedAt: now, expiresAt: now + nonceLifetimeMs() };
    runNonces.set(key, record);
  }
  return { body: { runId, nonce: record.nonce, expiresAt: isoTime(record.expiresAt) } };
});

/** Whether `pem` is an RSA public key of 2048 to 4096 bits; 400 `InvalidPublicKey` otherwise. */
function requireRsaPublicKey(pem: string): void {
  let modulusChars: number;
  try {
    modulusChars = ccf.crypto.pubRsaPemToJwk(pem).n.length;
  } catch {
    modulusChars = 0;
  }
  // base64url of a 2048-bit modulus is 342 characters, of a 4096-bit one 683.
  if (modulusChars < 342 || modulusChars > 683) {
    throw badRequest(
      "InvalidPublicKey",
      "publicKeyPem must be an RSA public key (SPKI PEM) of 2048 to 4096 bits.",
    );
  }
}

/** POST /contracts/{contractId}/runs/{runId}/claim {attestation, publicKeyPem, nonce} */
export const claimRun = runtimeEndpoint({ type: "run.claim" }, (request, contractId, runId) => {
  const contract = requireAcceptedContract(contractId);
  const policy = contract.document.policy;
  const parsed = parseClaimRequest(jsonBody(request));
  if (!parsed.ok) throw badRequest("InvalidRequest", parsed.reason);
  const { attestation, publicKeyPem, nonce } = parsed.value;
  const stored = requireRun(contractId, runId);
  const key = runKey(contractId, runId);
  const now = nowMs();
  const issued = runNonces.get(key);
  check(nonceVerdict(issued, nonce, now));
  check(stateVerdict(stored.value.state, "claim"));
  requireRsaPublicKey(publicKeyPem);
  check(platformVerdict(attestation.platform, policy));
  const evidence = verifyEvidence(attestation);
  check(claimsVerdict(evidence, policy, reportDataHex(publicKeyPem, nonce, sha256)));
  const query = requireRunnableQuery(contractId, stored.value.queryId, stored.value.queryVersion, {
    countedRun: true,
  });

  const used: NonceRecord = { ...issued!, usedAt: now };
  runNonces.set(key, used);
  const run: RunRecord = {
    ...stored.value,
    state: nextState(stored.value.state, "claim"),
    claim: {
      platform: evidence.platform,
      measurement: evidence.measurement,
      publicKeyPem,
      keyDigest: sha256Hex(publicKeyPem),
      attestationDigest: evidence.attestationDigest,
      claimedAt: isoTime(now),
    },
  };
  if (evidence.hostData !== undefined) run.claim!.hostData = evidence.hostData;
  runs.set(key, run);
  removePendingRun(contractId, runId);
  const details: Record<string, unknown> = {
    runId,
    platform: evidence.platform,
    measurement: evidence.measurement,
    keyDigest: run.claim!.keyDigest,
    attestationDigest: evidence.attestationDigest,
  };
  if (evidence.hostData !== undefined) details["hostData"] = evidence.hostData;
  recordEvent(contractId, "runtime", {
    type: "run.claimed",
    actor: `runtime:${runId}`,
    subject: runId,
    details,
  });

  const datasets = [...run.inputs.map((i) => i.datasetId), run.output].flatMap((datasetId) => {
    const record = readDataset(contractId, datasetId);
    return record ? [{ ...record, role: datasetRole(run, datasetId) }] : [];
  });
  return {
    body: {
      runId,
      state: run.state,
      contractId,
      query: { queryId: run.queryId, version: run.queryVersion, document: query.document },
      parameters: run.parameters,
      datasets,
    },
  };
});

// ---------------------------------------------------------------------------------------------
// The clean room: keys

/** POST /contracts/{contractId}/runs/{runId}/keys/{datasetId} (signed, purpose "key") */
export const releaseKey = runtimeEndpoint(
  { type: "key", subjectParam: "datasetId" },
  (request, contractId, runId) => {
    const datasetId = pathParam(request, "datasetId");
    const { run } = requireRuntimeRequest<KeyRequestPayload>(request, contractId, {
      runId,
      purpose: "key",
      fields: { datasetId },
    });
    const query = releaseChecks(run, contractId);
    check(datasetVerdict(query, datasetId));
    const dataset = readDataset(contractId, datasetId);
    if (!dataset) {
      throw notFound("DatasetNotFound", `Dataset ${datasetId} is not published in ${contractId}.`);
    }
    const encryption = dataset.document.encryption;
    const wrapped = wrapToRunKey(unwrapDek(encryption), run.claim!.publicKeyPem);

    const now = isoTime(nowMs());
    const releaseKeyName = `${contractId}/${runId}/${datasetId}`;
    const previous = keyReleases.get(releaseKeyName);
    keyReleases.set(releaseKeyName, {
      count: (previous?.count ?? 0) + 1,
      firstAt: previous?.firstAt ?? now,
      lastAt: now,
      kekId: encryption.kekId,
    });
    recordEvent(contractId, "runtime", {
      type: "key.released",
      actor: `runtime:${runId}`,
      subject: datasetId,
      details: {
        runId,
        datasetId,
        role: datasetRole(query, datasetId),
        kekId: encryption.kekId,
        queryId: query.queryId,
        queryVersion: query.version,
        keyDigest: run.claim!.keyDigest,
      },
    });
    return {
      body: {
        datasetId,
        wrappedKey: base64Encode(new Uint8Array(wrapped)),
        algorithm: "RSA-OAEP-AES-KWP",
      },
    };
  },
);

// ---------------------------------------------------------------------------------------------
// The clean room: reports

function payloadProblem(problem: string | undefined): void {
  if (problem !== undefined) throw badRequest("InvalidPayload", problem);
}

function optionalText(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > max) {
    throw badRequest("InvalidPayload", `${field} must be a string of 1 to ${max} characters.`);
  }
  return value;
}

/** POST /contracts/{contractId}/runs/{runId}/progress (signed, purpose "progress") */
export const reportProgress = runtimeEndpoint(
  { type: "run.progress" },
  (request, contractId, runId) => {
    const { run, payload } = requireRuntimeRequest<ProgressPayload>(request, contractId, {
      runId,
      purpose: "progress",
    });
    check(sequenceVerdict(run.progress?.sequence, payload.sequence));
    const phase = optionalText(payload.phase, "phase", 128);
    if (payload.rowCounts !== undefined)
      payloadProblem(checkCounters(payload.rowCounts, "rowCounts"));
    if (payload.durationsMs !== undefined) {
      payloadProblem(checkCounters(payload.durationsMs, "durationsMs"));
    }

    const at = isoTime(nowMs());
    const progress: NonNullable<RunRecord["progress"]> = { sequence: payload.sequence, at };
    if (phase !== undefined) progress.phase = phase;
    if (payload.rowCounts !== undefined) progress.rowCounts = payload.rowCounts;
    if (payload.durationsMs !== undefined) progress.durationsMs = payload.durationsMs;
    const updated: RunRecord = { ...run, state: nextState(run.state, "progress"), progress };
    runs.set(runKey(contractId, runId), updated);
    const { at: _at, ...details } = progress;
    recordEvent(contractId, "runtime", {
      type: "run.progress",
      actor: `runtime:${runId}`,
      subject: runId,
      details: { runId, ...details },
    });
    return { body: { runId, state: updated.state } };
  },
);

/** POST /contracts/{contractId}/runs/{runId}/complete (signed, purpose "complete") */
export const completeRun = runtimeEndpoint(
  { type: "run.complete" },
  (request, contractId, runId) => {
    const { run, payload } = requireRuntimeRequest<CompletePayload>(request, contractId, {
      runId,
      purpose: "complete",
    });
    payloadProblem(checkCounters(payload.rowCounts, "rowCounts"));
    payloadProblem(checkCounters(payload.durationsMs, "durationsMs"));
    payloadProblem(checkOutputDigests(payload.outputDigests));
    const outputDigests: OutputDigest[] = payload.outputDigests.map((d) => ({
      datasetId: d.datasetId,
      object: d.object,
      sha256: d.sha256,
    }));
    check(outputsVerdict(outputDigests, run.output));

    const claim = run.claim!;
    const completedAt = isoTime(nowMs());
    const statement: RunStatement = {
      contractId,
      runId,
      queryId: run.queryId,
      queryVersion: run.queryVersion,
      inputs: run.inputs.map(({ datasetId, view }) => {
        const version = readDataset(contractId, datasetId)?.version;
        return version === undefined
          ? { datasetId, view }
          : { datasetId, view, datasetVersion: version };
      }),
      outputDigests,
      platform: claim.platform,
      measurement: claim.measurement,
      attestationDigest: claim.attestationDigest,
      completedAt,
    };
    if (claim.hostData !== undefined) statement.hostData = claim.hostData;
    const text = runStatementText(statement);
    const key = statementKey(completedAt);
    const signature = base64Encode(new Uint8Array(signStatement(key, text)));

    statements.set(runKey(contractId, runId), {
      statement: text,
      signature,
      publicKeyPem: key.publicKeyPem,
      keyId: key.keyId,
    });
    const updated: RunRecord = {
      ...run,
      state: nextState(run.state, "complete"),
      result: {
        rowCounts: payload.rowCounts,
        durationsMs: payload.durationsMs,
        outputDigests,
        completedAt,
      },
    };
    runs.set(runKey(contractId, runId), updated);
    recordEvent(contractId, "runtime", {
      type: "run.completed",
      actor: `runtime:${runId}`,
      subject: runId,
      details: {
        runId,
        rowCounts: payload.rowCounts,
        durationsMs: payload.durationsMs,
        outputDigests,
        statementDigest: sha256Hex(text),
      },
    });
    return {
      body: {
        runId,
        state: updated.state,
        statement: text,
        signature,
        publicKeyPem: key.publicKeyPem,
      },
    };
  },
);

/** POST /contracts/{contractId}/runs/{runId}/fail (signed, purpose "fail") */
export const failRun = runtimeEndpoint({ type: "run.fail" }, (request, contractId, runId) => {
  const { run, payload } = requireRuntimeRequest<FailPayload>(request, contractId, {
    runId,
    purpose: "fail",
  });
  const reason = optionalText(payload.reason, "reason", 4096);
  if (reason === undefined)
    throw badRequest("InvalidPayload", "reason must say why the run failed.");
  const failedAt = isoTime(nowMs());
  const updated: RunRecord = {
    ...run,
    state: nextState(run.state, "fail"),
    failure: { reason, failedAt },
  };
  runs.set(runKey(contractId, runId), updated);
  recordEvent(contractId, "runtime", {
    type: "run.failed",
    actor: `runtime:${runId}`,
    subject: runId,
    details: { runId, reason },
  });
  return { body: { runId, state: updated.state } };
});
