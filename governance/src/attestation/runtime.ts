// The attested clean room as a caller. It has no certificate or token: its claim bound a run to
// the RSA key its evidence named, and every later request for that run is a payload signed with
// that key (RSA-PSS, SHA-256, salt 32) that names the contract, the run and the purpose. There is
// no second, unbound key: the key that signs is the key the evidence bound.
import type { Request, Response } from "@microsoft/ccf-app";
import { ccf } from "@microsoft/ccf-app/global.js";
import {
  parseSignedRequest,
  RUNTIME_SIGNATURE,
  type RuntimePayload,
} from "../../../contracts/src/attestation.js";
import { base64Decode, utf8Encode } from "../../../contracts/src/encoding.js";
import { readAcceptedContract, requireAcceptedContract } from "../lib/contracts.js";
import { ApiError, badRequest, errorResponse } from "../lib/errors.js";
import { recordRefusal } from "../lib/events.js";
import { jsonBody } from "../lib/http.js";
import { readRun, requireRun, type RunRecord } from "../lib/runs.js";
import { payloadVerdict, type PayloadExpectation, type Verdict } from "../policy/attestation.js";
import { stateVerdict } from "../policy/runs.js";
import { toBuffer } from "./bytes.js";

/** A refusal from a pure verdict. */
export function check(verdict: Verdict): void {
  if (!verdict.ok) throw new ApiError(verdict.status, verdict.code, verdict.reason);
}

/** Whether `signature` (base64) is the run key's RSA-PSS signature over the UTF-8 payload. */
export function verifyRuntimeSignature(
  publicKeyPem: string,
  payload: string,
  signature: string,
): boolean {
  try {
    return ccf.crypto.verifySignature(
      { ...RUNTIME_SIGNATURE },
      publicKeyPem,
      toBuffer(base64Decode(signature)),
      toBuffer(utf8Encode(payload)),
    );
  } catch {
    // A signature of the wrong length, or bytes that are no signature at all.
    return false;
  }
}

export interface RuntimeRequest<P extends RuntimePayload = RuntimePayload> {
  run: RunRecord;
  /** The run record's version (`view.seqno`). */
  runVersion: string;
  payload: P;
}

/**
 * A request from the clean room bound to a run: the body `{payload, signature}` must be signed by
 * the run's bound key and its payload must name this contract, this run (the URL's, or for
 * contract-level endpoints the payload's) and `purpose`, and the run must be claimed and not
 * finished. Refusals: 400 InvalidRequest, 404 RunNotFound, 409 RunNotClaimed / RunFinished,
 * 403 SignatureInvalid / PayloadMismatch.
 *
 * Other resources that serve the clean room (OIDC tokens) use this too.
 */
export function requireRuntimeRequest<P extends RuntimePayload = RuntimePayload>(
  request: Request,
  contractId: string,
  expected: Omit<PayloadExpectation, "contractId" | "runId"> & { runId?: string },
): RuntimeRequest<P> {
  const parsed = parseSignedRequest(jsonBody(request));
  if (!parsed.ok) throw badRequest("InvalidRequest", parsed.reason);
  const { payload, request: signed } = parsed.value;
  const runId = expected.runId ?? payload.runId;
  const stored = requireRun(contractId, runId);
  const run = stored.value;
  if (!run.claim) {
    check(stateVerdict(run.state, expected.purpose));
    throw new ApiError(409, "RunNotClaimed", "The run has not been claimed: claim it first.");
  }
  if (!verifyRuntimeSignature(run.claim.publicKeyPem, signed.payload, signed.signature)) {
    throw new ApiError(
      403,
      "SignatureInvalid",
      "The payload's signature does not verify with the key this run is bound to.",
    );
  }
  check(payloadVerdict(payload, { ...expected, contractId, runId }));
  check(stateVerdict(run.state, expected.purpose));
  return { run, runVersion: stored.version, payload: payload as P };
}

/** What a refused runtime request is recorded as. */
export interface RuntimeAudit {
  /** Event type prefix: `key` records `key.refused`. */
  type: string;
  /** Path parameter naming what the request is about (dataset, secret), if any. */
  subjectParam?: string;
}

function param(request: Request, name: string): string | undefined {
  const raw = request.params[name];
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * Wraps a clean-room endpoint (`/app/contracts/{contractId}/runs/{runId}/…`) so that a refusal
 * about an existing run of an accepted contract is an audit event (`<type>.refused`, scope
 * `runtime`, with the code and reason) although the response is an error. Only that event is
 * written: handlers decide everything before their first write, so a refusal changes nothing
 * else. Requests that name no run of the contract are refused without an event, so strangers
 * cannot grow a contract's trail.
 */
export function runtimeEndpoint(
  audit: RuntimeAudit,
  handler: (request: Request, contractId: string, runId: string) => Response,
): (request: Request) => Response {
  return (request) => {
    const contractId = param(request, "contractId");
    const runId = param(request, "runId");
    try {
      if (contractId === undefined || runId === undefined) {
        throw badRequest(
          "InvalidParameter",
          "The path's contract and run ids are not validly encoded.",
        );
      }
      requireAcceptedContract(contractId);
      return handler(request, contractId, runId);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (contractId !== undefined && runId !== undefined && readAcceptedContract(contractId)) {
        if (readRun(contractId, runId)) {
          const subject = audit.subjectParam ? param(request, audit.subjectParam) : undefined;
          const details: Record<string, unknown> = {
            runId,
            status: error.status,
            code: error.code,
            reason: error.message,
          };
          if (audit.subjectParam && subject !== undefined) details[audit.subjectParam] = subject;
          recordRefusal(contractId, "runtime", {
            type: `${audit.type}.refused`,
            actor: `runtime:${runId}`,
            subject: subject ?? runId,
            details,
          });
        }
      }
      return errorResponse(error);
    }
  };
}
