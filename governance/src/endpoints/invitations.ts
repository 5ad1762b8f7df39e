// Invitations and the identities that accepted them (docs/governance.md, "Principals" and "Why
// invitations keep an app-level identity table"). Members invite by proposal (`invite`, in
// governance/constitution/invitations.js); the invitee accepts here, in one request; members read
// invitations and identities here.
import { ccf } from "@microsoft/ccf-app/global.js";
import type { Request, Response } from "@microsoft/ccf-app";
import { Tables } from "../tables.js";
import { jwtIdentityId, requireMember, type IdentityRecord } from "../lib/caller.js";
import { ApiError, badRequest, conflict, endpoint, forbidden, notFound } from "../lib/errors.js";
import { intParam, jsonBody, pathParam, queryParams } from "../lib/http.js";
import { appendToList, listPage, pageBody, type Page } from "../lib/lists.js";
import { JsonTable } from "../lib/records.js";

/** An invitation as the `invite` action records it (governance table). */
export interface InvitationRecord {
  invitationId: string;
  role: "user" | "member";
  displayName: string;
  /** Unix seconds. */
  expiresAt: number;
  /** Lower-hex SHA-256 of the one-time code's UTF-8 bytes. */
  codeHash: string;
  /** The member who proposed the invitation. */
  invitedBy?: string;
  proposalId?: string;
  status: "Open" | "Revoked";
  revokedBy?: string;
  revokedByProposal?: string;
}

/** The acceptance that consumed an invitation (app table, keyed by invitation id). */
export interface InvitationUse {
  identityId: string;
  /** Unix seconds, from the host's untrusted clock. */
  acceptedAt: number;
}

export type InvitationStatus = "Open" | "Accepted" | "Revoked" | "Expired";

const invitations = new JsonTable<InvitationRecord>(Tables.invitations);
const invitationIndex = new JsonTable<number | string>(Tables.invitationIndex);
const uses = new JsonTable<InvitationUse>(Tables.invitationUses);
const identities = new JsonTable<IdentityRecord>(Tables.identities);
const removed = new JsonTable<{ removedBy?: string; proposalId?: string }>(
  Tables.removedIdentities,
);
const usersCerts = new JsonTable<unknown>(Tables.usersCerts);
const membersCerts = new JsonTable<unknown>(Tables.membersCerts);

const IDENTITY_LIST = "identities";
const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;
const MAX_CODE_LENGTH = 1024;

/** The host's clock in Unix seconds (untrusted: a node operator could skew it). */
function nowSeconds(): number {
  ccf.enableUntrustedDateTime(true);
  return Math.floor(Date.now() / 1000);
}

function sha256Hex(text: string): string {
  const digest = new Uint8Array(ccf.crypto.digest("SHA-256", ccf.strToBuf(text)));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

function statusOf(
  invitation: InvitationRecord,
  use: InvitationUse | undefined,
  now: number,
): InvitationStatus {
  // An accepted invitation stays Accepted even if revoked afterwards: revoking it does not undo
  // the acceptance (remove_identity does).
  if (use) return "Accepted";
  if (invitation.status === "Revoked") return "Revoked";
  if (now >= invitation.expiresAt) return "Expired";
  return "Open";
}

/** What members see of an invitation: never the code's hash. */
function invitationView(invitationId: string, now: number): object | undefined {
  const stored = invitations.getVersioned(invitationId);
  if (!stored) return undefined;
  const { codeHash: _hidden, status: _stored, ...invitation } = stored.value;
  const use = uses.get(invitationId);
  return {
    ...invitation,
    status: statusOf(stored.value, use, now),
    ...(use ? { identityId: use.identityId, acceptedAt: use.acceptedAt } : {}),
    version: stored.version,
  };
}

/** An identity, with its certificate: what `set_member` needs for an invited member. */
function identityView(identityId: string): object | undefined {
  const stored = identities.getVersioned(identityId);
  if (!stored) return undefined;
  return {
    identityId,
    ...stored.value,
    removed: removed.has(identityId),
    version: stored.version,
  };
}

function pageParams(request: Request): { start: number; limit: number } {
  const params = queryParams(request);
  return {
    start: intParam(params, "start", 0, 0, Number.MAX_SAFE_INTEGER),
    limit: intParam(params, "limit", DEFAULT_PAGE, 1, MAX_PAGE),
  };
}

/** A page of the governance-side invitation index (see constitution/invitations.js). */
function invitationPage(start: number, limit: number): Page {
  const stored = invitationIndex.get("count");
  const length = typeof stored === "number" ? stored : 0;
  const items: string[] = [];
  const end = Math.min(length, start + limit);
  for (let position = start; position < end; position++) {
    const id = invitationIndex.get(String(position));
    if (typeof id === "string") items.push(id);
  }
  return end < length ? { items, next: end } : { items };
}

interface PresentedIdentity {
  id: string;
  record: Pick<IdentityRecord, "certPem" | "jwt">;
}

interface RawCaller {
  policy?: string | string[];
  cert?: string;
  jwt?: { keyIssuer?: string; payload?: Record<string, unknown> };
}

/**
 * The identity the caller presents: the certificate of its TLS connection (`any_cert`) or the
 * issuer and subject of its token (`jwt`). TLS client authentication proves that the caller
 * holds the certificate's private key (the handshake's CertificateVerify is a signature with it),
 * so accepting over that connection binds the invitation to a key the invitee holds; the key
 * never leaves the invitee's machine. A token proves the same of the issuer's subject.
 */
function presentedIdentity(request: Request): PresentedIdentity {
  const raw = request.caller as unknown as RawCaller | null | undefined;
  if (raw?.policy === "any_cert" && typeof raw.cert === "string") {
    return { id: ccf.pemToId(raw.cert), record: { certPem: raw.cert } };
  }
  if (raw?.policy === "jwt" && raw.jwt) {
    const issuer = raw.jwt.keyIssuer;
    const subject = raw.jwt.payload?.["sub"];
    if (typeof issuer !== "string" || typeof subject !== "string" || subject.length === 0) {
      throw new ApiError(
        401,
        "TokenSubjectRequired",
        "The token has no subject ('sub'): use a token that names you.",
      );
    }
    return { id: jwtIdentityId(issuer, subject), record: { jwt: { issuer, subject } } };
  }
  throw new ApiError(
    401,
    "AuthenticationRequired",
    "Accept with your own client certificate or a token from a trusted issuer.",
  );
}

/**
 * POST /invitations/{invitationId}/accept — body `{code}`. One step for the invitee: its own
 * certificate (or token) and the one-time code; the first acceptance consumes the invitation.
 */
export const acceptInvitation = endpoint((request: Request): Response => {
  const invitationId = pathParam(request, "invitationId");
  const code = jsonBody(request)["code"];
  if (typeof code !== "string" || code.length === 0 || code.length > MAX_CODE_LENGTH) {
    throw badRequest(
      "InvalidCode",
      `'code' must be the invitation's one-time code (a string of 1 to ${MAX_CODE_LENGTH} characters).`,
    );
  }

  const invitation = invitations.get(invitationId);
  if (!invitation) {
    throw notFound("InvitationNotFound", `There is no invitation ${invitationId}.`);
  }
  if (invitation.status === "Revoked") {
    throw conflict("InvitationRevoked", `Invitation ${invitationId} was revoked.`);
  }
  const now = nowSeconds();
  if (now >= invitation.expiresAt) {
    throw new ApiError(
      410,
      "InvitationExpired",
      `Invitation ${invitationId} has expired: ask a member for a new one.`,
    );
  }
  if (uses.has(invitationId)) {
    throw conflict("InvitationAlreadyUsed", `Invitation ${invitationId} has already been used.`);
  }
  if (sha256Hex(code) !== invitation.codeHash) {
    throw forbidden(
      "InvalidInvitationCode",
      `That is not the code of invitation ${invitationId}: check the code you were given.`,
    );
  }

  const presented = presentedIdentity(request);
  if (invitation.role === "member" && !presented.record.certPem) {
    // A CCF member is a certificate (it signs governance requests with its key): a token
    // identity could never be made one by `set_member`.
    throw forbidden(
      "CertificateRequired",
      `Invitation ${invitationId} is for a member: accept it with your own client certificate.`,
    );
  }
  if (removed.has(presented.id)) {
    throw forbidden(
      "IdentityRemoved",
      "This identity was removed from the consortium: accept with a new certificate or token.",
    );
  }
  if (
    identities.has(presented.id) ||
    usersCerts.has(presented.id) ||
    membersCerts.has(presented.id)
  ) {
    throw conflict(
      "IdentityAlreadyRegistered",
      `This identity (${presented.id}) is already registered: accept with a new certificate or token.`,
    );
  }

  identities.set(presented.id, {
    role: invitation.role,
    displayName: invitation.displayName,
    invitationId,
    ...presented.record,
  });
  uses.set(invitationId, { identityId: presented.id, acceptedAt: now });
  appendToList(IDENTITY_LIST, presented.id);
  return {
    statusCode: 201,
    body: {
      identityId: presented.id,
      role: invitation.role,
      displayName: invitation.displayName,
      invitationId,
    },
  };
});

/** GET /invitations — members: every invitation, in proposal order, with its current status. */
export const listInvitations = endpoint((request: Request): Response => {
  const { start, limit } = pageParams(request);
  requireMember(request);
  const now = nowSeconds();
  const page = invitationPage(start, limit);
  const value = page.items.flatMap((id) => invitationView(id, now) ?? []);
  return { body: pageBody(value, page, "/app/invitations", limit) };
});

/** GET /invitations/{invitationId} — members. */
export const getInvitation = endpoint((request: Request): Response => {
  const invitationId = pathParam(request, "invitationId");
  requireMember(request);
  const view = invitationView(invitationId, nowSeconds());
  if (!view) throw notFound("InvitationNotFound", `There is no invitation ${invitationId}.`);
  return { body: view };
});

/** GET /identities — members: every identity that accepted an invitation, in that order. */
export const listIdentities = endpoint((request: Request): Response => {
  const { start, limit } = pageParams(request);
  requireMember(request);
  const page = listPage(IDENTITY_LIST, start, limit);
  const value = page.items.flatMap((id) => identityView(id) ?? []);
  return { body: pageBody(value, page, "/app/identities", limit) };
});

/** GET /identities/{identityId} — members. */
export const getIdentity = endpoint((request: Request): Response => {
  const identityId = pathParam(request, "identityId");
  requireMember(request);
  const view = identityView(identityId);
  if (!view) throw notFound("IdentityNotFound", `There is no identity ${identityId}.`);
  return { body: view };
});
