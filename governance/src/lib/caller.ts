// Who is calling, whatever the policy that authenticated them (docs/governance.md, Principals).
import { ccf } from "@microsoft/ccf-app/global.js";
import type { Request } from "@microsoft/ccf-app";
import { Tables } from "../tables.js";
import { ApiError, forbidden } from "./errors.js";
import { JsonTable } from "./records.js";

/** An identity that accepted an invitation (app table `identities`). */
export interface IdentityRecord {
  role: "user" | "member";
  displayName: string;
  invitationId: string;
  /** The certificate it accepted with (cert identities) or issuer and subject (JWT identities). */
  certPem?: string;
  jwt?: { issuer: string; subject: string };
}

export type Caller =
  | { kind: "member"; id: string }
  | { kind: "user"; id: string; displayName?: string }
  | { kind: "anonymous"; certPem?: string; jwt?: { issuer: string; subject: string } };

interface RawCaller {
  policy: string | string[];
  id?: string;
  cert?: string;
  jwt?: { keyIssuer: string; payload: Record<string, unknown> };
}

const identities = new JsonTable<IdentityRecord>(Tables.identities);
const removed = new JsonTable<{ removedBy: string }>(Tables.removedIdentities);
const membersInfo = new JsonTable<{ status?: string }>(Tables.membersInfo);

/** The id of a JWT identity: issuer and subject, which together name one principal. */
export function jwtIdentityId(issuer: string, subject: string): string {
  return `jwt:${issuer}:${subject}`;
}

export function callerOf(request: Request): Caller {
  const raw = request.caller as unknown as RawCaller | null | undefined;
  if (!raw) return { kind: "anonymous" };
  switch (raw.policy) {
    case "member_cert":
      return membersInfo.get(raw.id!)?.status === "Active"
        ? { kind: "member", id: raw.id! }
        : { kind: "anonymous", certPem: raw.cert };
    case "user_cert":
      return removed.has(raw.id!) ? { kind: "anonymous" } : { kind: "user", id: raw.id! };
    case "any_cert": {
      const id = ccf.pemToId(raw.cert!);
      return invited(id) ?? { kind: "anonymous", certPem: raw.cert };
    }
    case "jwt": {
      const subject = raw.jwt!.payload["sub"];
      if (typeof subject !== "string") return { kind: "anonymous" };
      const jwt = { issuer: raw.jwt!.keyIssuer, subject };
      return invited(jwtIdentityId(jwt.issuer, jwt.subject)) ?? { kind: "anonymous", jwt };
    }
    default:
      return { kind: "anonymous" };
  }
}

/**
 * The user an accepted invitation made of `id`, if any. Only role "user" makes a user: an identity
 * invited as a member stays anonymous here until `set_member` makes it a CCF member, and it then
 * authenticates by `member_cert`.
 */
function invited(id: string): Caller | undefined {
  const identity = identities.get(id);
  if (!identity || identity.role !== "user" || removed.has(id)) return undefined;
  return { kind: "user", id, displayName: identity.displayName };
}

/** The calling member, or 403 `MemberRequired`. */
export function requireMember(request: Request): { kind: "member"; id: string } {
  const caller = callerOf(request);
  if (caller.kind === "member") return caller;
  throw forbidden("MemberRequired", "Only an active member of the consortium may do this.");
}

/** The calling member or user, or 401/403. */
export function requireParticipant(request: Request): Exclude<Caller, { kind: "anonymous" }> {
  const caller = callerOf(request);
  if (caller.kind !== "anonymous") return caller;
  if (caller.certPem || caller.jwt) {
    throw forbidden(
      "NotAParticipant",
      "This identity is not a member or user of the consortium: accept an invitation first.",
    );
  }
  throw new ApiError(401, "AuthenticationRequired", "Authenticate with a certificate or a token.");
}
