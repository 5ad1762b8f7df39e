/**
 * `{"all_of": [names…]}`: succeeds only if every named policy does (CCF all_of_auth.cpp).
 *
 * As in CCF, the constituents are held in a map ordered by name, so they run in name order
 * whatever order the app lists them in, the caller's `policy` array is that order, and the
 * scheme name reported in a 401 is the names joined by `+`. The first failure stops it; its
 * reason is reported as `<name>:<reason>` and its challenge (`WWW-Authenticate`) is used.
 * Caller `{<name>: <sub-identity>…, policy: [names…]}`.
 */
import { POLICIES_BY_NAME } from "./registry.js";
import {
  AuthInternalError,
  fail,
  type AuthnPolicy,
  type Identity,
  type PolicyContext,
  type PolicyOutcome,
} from "./types.js";

/** Builds the conjunction; throws `AuthInternalError` for an unknown or repeated name. */
export function allOf(names: readonly string[]): AuthnPolicy {
  const byName = new Map<string, AuthnPolicy>();
  for (const name of names) {
    const policy = POLICIES_BY_NAME.get(name);
    if (policy === undefined) throw new AuthInternalError(`Unknown auth policy: ${name}`);
    if (byName.has(name)) {
      throw new AuthInternalError(
        `AND authentication policy contains duplicate policies identified by ${name} (policy = )`,
      );
    }
    byName.set(name, policy);
  }
  // std::map order: byte-wise comparison of the names.
  const ordered = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    name: ordered.join("+"),
    authenticate(context: PolicyContext): PolicyOutcome {
      const identity: Identity = {};
      for (const name of ordered) {
        const outcome = (byName.get(name) as AuthnPolicy).authenticate(context);
        if (!outcome.ok) return fail(`${name}:${outcome.reason}`, outcome.challenge);
        identity[name] = outcome.identity;
      }
      identity["policy"] = ordered;
      return { ok: true, identity };
    },
  };
}
