/** What every authentication policy shares (ccf-runtime.md §2.3). */
import type { HostValue } from "../quickjs/marshal.js";

/** Read access to the governance tables, as of the request's transaction. */
export interface GovReader {
  /** `key` is the UTF-8 text of the KV key; the value is the raw stored bytes. */
  get(table: string, key: string): Uint8Array | undefined;
}

export interface AuthRequest {
  /** DER of the TLS client certificate, if one was presented. */
  clientCertDer?: Uint8Array;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface PolicyContext {
  request: AuthRequest;
  gov: GovReader;
  nowMs: number;
}

export type Identity = { [key: string]: HostValue };

export type PolicyOutcome =
  | { ok: true; identity: Identity }
  | {
      ok: false;
      /** CCF's error reason, reported in the 401's `details`. */
      reason: string;
      /** CCF's `WWW-Authenticate` challenge, if this policy sets one. */
      challenge?: string;
    };

export interface AuthnPolicy {
  /** The security scheme name: the `auth_policy` of a 401 detail. */
  readonly name: string;
  authenticate(context: PolicyContext): PolicyOutcome;
}

/**
 * What CCF raises as an exception rather than an authentication failure (a malformed COSE
 * envelope, an unknown policy name): the request ends with 500 `InternalError`.
 */
export class AuthInternalError extends Error {
  override readonly name = "AuthInternalError";
}

export function fail(reason: string, challenge?: string): PolicyOutcome {
  return challenge === undefined ? { ok: false, reason } : { ok: false, reason, challenge };
}
