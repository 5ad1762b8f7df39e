/**
 * Authentication of app endpoint requests: the policies an endpoint lists in `authn_policies`
 * are tried in order and the first success gives the handler's `request.caller`
 * (ccf-runtime.md §2.3; CCF frontend.h `get_authenticated_identity`).
 *
 * - No policies: `caller` is `null`.
 * - All fail: 401 `InvalidAuthenticationInfo` "Invalid authentication credentials.", with one
 *   detail `{auth_policy, code, message}` per policy, and the last policy's `WWW-Authenticate`
 *   challenge (JWT and COSE set one; certificate policies do not).
 * - An unknown or malformed policy, or what CCF raises as an exception (a COSE body that does not
 *   decode): 500 `InternalError` with CCF's message. The host never throws.
 *
 * Runs synchronously on the engine thread for every request; parsed certificates and keys are
 * cached by their exact bytes, governance tables are read afresh each time.
 */
import type { ErrorDetail } from "../http/messages.js";
import type { HostValue } from "../quickjs/marshal.js";
import { allOf } from "./all-of.js";
import { POLICIES_BY_NAME } from "./registry.js";
import { AuthInternalError, type AuthnPolicy, type AuthRequest, type GovReader } from "./types.js";

export type { AuthRequest, GovReader } from "./types.js";

export type AuthResult =
  | { ok: true; caller: HostValue }
  | {
      ok: false;
      status: number;
      error: { code: string; message: string; details?: ErrorDetail[] };
      headers: Record<string, string>;
    };

export type PolicyDescription = string | { all_of: string[] };

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function resolve(description: PolicyDescription): AuthnPolicy {
  if (typeof description === "string") {
    const policy = POLICIES_BY_NAME.get(description);
    if (policy === undefined) throw new AuthInternalError(`Unknown auth policy: ${description}`);
    return policy;
  }
  const names: unknown =
    typeof description === "object" && description !== null ? description.all_of : undefined;
  if (Array.isArray(names) && names.length > 0 && names.every((n) => typeof n === "string")) {
    return allOf(names as string[]);
  }
  throw new AuthInternalError(
    "Unsupported auth policy. Policies must be either a string, or an object containing an " +
      `"all_of" key with list-of-strings value. Unsupported value: ${describe(description)}`,
  );
}

function internalError(message: string): AuthResult {
  return { ok: false, status: 500, error: { code: "InternalError", message }, headers: {} };
}

export function authenticate(
  policies: PolicyDescription[],
  request: AuthRequest,
  gov: GovReader,
  nowMs: number,
): AuthResult {
  if (policies.length === 0) return { ok: true, caller: null };
  try {
    // CCF instantiates every listed policy before trying any: one bad name fails them all.
    const resolved = policies.map(resolve);
    const context = { request, gov, nowMs };
    const details: ErrorDetail[] = [];
    let challenge: string | undefined;
    for (const policy of resolved) {
      const outcome = policy.authenticate(context);
      if (outcome.ok) return { ok: true, caller: outcome.identity };
      details.push({
        auth_policy: policy.name,
        code: "InvalidAuthenticationInfo",
        message: outcome.reason,
      });
      challenge = outcome.challenge;
    }
    return {
      ok: false,
      status: 401,
      error: {
        code: "InvalidAuthenticationInfo",
        message: "Invalid authentication credentials.",
        details,
      },
      headers: challenge === undefined ? {} : { "www-authenticate": challenge },
    };
  } catch (e) {
    return internalError(e instanceof Error ? e.message : String(e));
  }
}
