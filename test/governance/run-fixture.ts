/**
 * A run claimed by a (virtual) attested clean room, made the way the personas make it over
 * HTTPS: an owner publishes an input and an output dataset (DEKs really wrapped to governance's
 * KEK), proposes and approves a query, requests a run; the clean room takes a nonce and claims
 * the run with evidence binding a fresh RSA key. Then signed runtime requests, as the runtime
 * signs them, and unwrapping what governance wraps to the run's key. For the OIDC suite and the
 * governance benchmark.
 */
import assert from "node:assert/strict";
import { constants, publicEncrypt, randomBytes, type KeyObject } from "node:crypto";
import type { Identity, Reply, RequestOptions } from "../support/client.js";
import { Runtime } from "./runtime-sim.js";

export type Call = (
  as: Identity | undefined,
  path: string,
  options?: Omit<RequestOptions, "as">,
) => Promise<Reply>;

export interface Run {
  contractId: string;
  runId: string;
  /** The simulated clean room whose key the run is (or will be) bound to. */
  runtime: Runtime;
}

/** The measurement the virtual clean room claims (put it in the contract's policy). */
export const MEASUREMENT = "aa".repeat(32);

/** Has a member make the KEK (or read the current one); its id and public key. */
export async function kekOf(
  call: Call,
  member: Identity,
): Promise<{ kekId: string; publicKeyPem: string }> {
  const reply = await call(member, "/app/keys", { method: "POST" });
  assert.ok(reply.status === 201 || reply.status === 200, reply.text);
  return reply.json<{ kekId: string; publicKeyPem: string }>();
}

/**
 * `owner` publishes datasets `in` and `out` in `contractId` and query `q` reading `in` and
 * writing `out`, and approves it (the owner is its only approver).
 */
export async function publishQuery(
  call: Call,
  owner: Identity,
  contractId: string,
  kek: { kekId: string; publicKeyPem: string },
  queryId = "q",
): Promise<void> {
  for (const datasetId of ["in", "out"]) {
    const wrappedDek = publicEncrypt(
      { key: kek.publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      randomBytes(32),
    ).toString("base64");
    const document = {
      schema: [{ name: "amount", type: "double" }],
      allowedFields: ["amount"],
      location: {
        kind: "s3",
        region: "eu-west-1",
        bucket: "cleanroom-data",
        prefix: `${datasetId}/`,
      },
      format: "parquet",
      encryption: { wrappedDek, kekId: kek.kekId },
    };
    const reply = await call(owner, `/app/contracts/${contractId}/datasets/${datasetId}`, {
      method: "PUT",
      body: { document },
    });
    assert.ok(reply.status === 201 || reply.status === 409, reply.text);
  }
  await proposeQuery(call, owner, contractId, queryId);
  const approve = await call(owner, `/app/contracts/${contractId}/queries/${queryId}/approve`, {
    body: { version: "1" },
  });
  assert.equal(approve.status, 200, approve.text);
}

/** `owner` proposes query `queryId` (reading `in`, writing `out`): version 1, not yet approved. */
export async function proposeQuery(
  call: Call,
  owner: Identity,
  contractId: string,
  queryId: string,
): Promise<void> {
  const document = {
    sql: [{ statement: "SELECT SUM(amount) AS total FROM sales" }],
    inputs: [{ datasetId: "in", view: "sales" }],
    output: { datasetId: "out" },
  };
  const reply = await call(owner, `/app/contracts/${contractId}/queries/${queryId}`, {
    method: "PUT",
    body: { document },
  });
  assert.equal(reply.status, 201, reply.text);
}

/** A run of query `q` requested by `requester`, with the RSA key its clean room will bind. */
export async function requestedRun(
  call: Call,
  requester: Identity,
  contractId: string,
): Promise<Run> {
  const reply = await call(requester, `/app/contracts/${contractId}/runs`, {
    body: { queryId: "q" },
  });
  assert.equal(reply.status, 201, reply.text);
  return { contractId, runId: reply.json<{ runId: string }>().runId, runtime: new Runtime() };
}

/** A run claimed by a virtual clean room whose evidence binds a fresh RSA key and the nonce. */
export async function claimedRun(
  call: Call,
  requester: Identity,
  contractId: string,
): Promise<Run> {
  const run = await requestedRun(call, requester, contractId);
  const base = `/app/contracts/${contractId}/runs/${run.runId}`;
  const nonceReply = await call(undefined, `${base}/nonce`, { method: "POST" });
  assert.equal(nonceReply.status, 200, nonceReply.text);
  const nonce = nonceReply.json<{ nonce: string }>().nonce;
  const attestation = run.runtime.virtual(nonce, { measurement: MEASUREMENT, hostData: null });
  const claim = await call(undefined, `${base}/claim`, {
    body: { attestation, publicKeyPem: run.runtime.publicKeyPem, nonce },
  });
  assert.equal(claim.status, 200, claim.text);
  return run;
}

/** A runtime request body: `payload` signed with `signer` (default: the run's key), RSA-PSS. */
export function signed(
  run: Run,
  payload: Record<string, unknown>,
  signer?: KeyObject,
): { payload: string; signature: string } {
  return run.runtime.signed(payload, signer);
}

/** Unwraps RSA-OAEP-AES-KWP (base64) with the run's private key. */
export const unwrapForRun = (run: Run, wrappedBase64: string): Buffer =>
  run.runtime.unwrap(wrappedBase64);
