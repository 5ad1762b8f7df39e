/**
 * Authentication of signed governance requests: CCF's `member_cose_sign1` and
 * `active_member_cose_sign1` policies (ccf-runtime.md §4.2), checked in CCF's order:
 *
 * 1. `Content-Type: application/cose`;
 * 2. a tagged COSE_Sign1 whose protected header has an integer `alg`, a byte-string `kid`, an
 *    integer `ccf.gov.msg.created_at` ≥ 0 (required) and, if present, text `ccf.gov.msg.type` and
 *    `ccf.gov.msg.proposal_id`;
 * 3. `alg` is ES256, ES384 or ES512;
 * 4. `kid`, as text, is a key of `public:ccf.gov.members.certs`;
 * 5. the signature verifies with that certificate's key;
 * 6. `ccf.gov.msg.type` is the endpoint's;
 * 7. for the active-member policy, the member's status is `Active`.
 *
 * Any failure is 401 `InvalidAuthenticationInfo` with the reason in the details and CCF's
 * `WWW-Authenticate` challenge. A malformed envelope is refused the same way (§4.1: bad COSE is
 * a 401), rather than surfacing a decoder exception.
 */
import {
  CoseError,
  HeaderLabel,
  decodeSign1,
  headerBytes,
  headerInt,
  headerText,
  type Sign1,
} from "../cose/sign1.js";
import { COSE_CHALLENGE, contentTypeProblem, verifySigner } from "../cose/signer.js";
import { Tables } from "../enclave/tables.js";
import { errorResponse, type HttpRequest, type HttpResponse } from "../http/messages.js";
import type { GovTables } from "./kv.js";

export const GOV_MSG_TYPE = "ccf.gov.msg.type";
export const GOV_MSG_CREATED_AT = "ccf.gov.msg.created_at";
export const GOV_MSG_PROPOSAL_ID = "ccf.gov.msg.proposal_id";

export type GovMessageType =
  | "proposal"
  | "ballot"
  | "withdrawal"
  | "ack"
  | "state_digest"
  | "recovery_share"
  | "encrypted_recovery_share";

/** A verified signed governance request. */
export interface MemberCoseIdentity {
  memberId: string;
  certPem: string;
  /** The signed payload: the request body proper. */
  payload: Uint8Array;
  /** The whole COSE_Sign1 message, as received. */
  envelope: Uint8Array;
  signature: Uint8Array;
  createdAt: number;
  msgType: string | undefined;
  proposalId: string | undefined;
}

export type CoseAuthResult =
  { ok: true; identity: MemberCoseIdentity } | { ok: false; response: HttpResponse };

interface MemberInfo {
  status?: string;
}

function refuse(policy: string, reason: string): CoseAuthResult {
  return {
    ok: false,
    response: errorResponse(
      401,
      "InvalidAuthenticationInfo",
      "Invalid authentication credentials.",
      [{ auth_policy: policy, code: "InvalidAuthenticationInfo", message: reason }],
      { "www-authenticate": COSE_CHALLENGE },
    ),
  };
}

interface Envelope {
  sign1: Sign1;
  alg: number;
  kid: Uint8Array;
  createdAt: number;
  msgType: string | undefined;
  proposalId: string | undefined;
}

function decodeEnvelope(body: Uint8Array): Envelope | string {
  try {
    const sign1 = decodeSign1(body);
    const header = sign1.protectedHeader;
    const alg = headerInt(header, HeaderLabel.alg);
    if (alg === undefined) return "Missing algorithm in protected header";
    const kid = headerBytes(header, HeaderLabel.kid);
    if (kid === undefined) return "Missing kid in protected header";
    const createdAt = headerInt(header, GOV_MSG_CREATED_AT);
    if (createdAt === undefined) return `Missing ${GOV_MSG_CREATED_AT} in protected header`;
    if (createdAt < 0) return `Header parameter ${GOV_MSG_CREATED_AT} must be non-negative`;
    const msgType = headerText(header, GOV_MSG_TYPE);
    const proposalId = headerText(header, GOV_MSG_PROPOSAL_ID);
    if (sign1.payload === null) return "Detached payloads are not supported";
    return { sign1, alg, kid, createdAt, msgType, proposalId };
  } catch (e) {
    if (e instanceof CoseError) return e.message;
    throw e;
  }
}

/**
 * Authenticates a signed governance request of type `msgType`; `activeOnly` selects the
 * active-member policy (proposals, ballots, withdrawals) over the any-member one (acks).
 */
export function authenticateMember(
  request: HttpRequest,
  gov: GovTables,
  msgType: GovMessageType,
  activeOnly: boolean,
): CoseAuthResult {
  const policy = activeOnly ? "active_member_cose_sign1" : "member_cose_sign1";
  const problem = contentTypeProblem(request.headers);
  if (problem !== undefined) return refuse(policy, problem);
  const envelope = decodeEnvelope(request.body);
  if (typeof envelope === "string") return refuse(policy, envelope);
  const signer = verifySigner(
    envelope.sign1,
    envelope.alg,
    envelope.kid,
    (id) => gov.text(Tables.membersCerts, id),
    "member",
  );
  if (!signer.ok) return refuse(policy, signer.reason);
  const { id: memberId, certPem } = signer;
  const { sign1 } = envelope;
  if (envelope.msgType === undefined) {
    return refuse(policy, `Missing ${GOV_MSG_TYPE}, expected ${GOV_MSG_TYPE} to be ${msgType}`);
  }
  if (envelope.msgType !== msgType) {
    return refuse(
      policy,
      `Found ${GOV_MSG_TYPE} set to ${envelope.msgType}, expected ${GOV_MSG_TYPE} to be ${msgType}`,
    );
  }
  if (activeOnly && gov.json<MemberInfo>(Tables.membersInfo, memberId)?.status !== "Active") {
    return refuse(policy, "Signer is not an ACTIVE member");
  }
  return {
    ok: true,
    identity: {
      memberId,
      certPem,
      payload: sign1.payload!,
      envelope: request.body,
      signature: sign1.signature,
      createdAt: envelope.createdAt,
      msgType: envelope.msgType,
      proposalId: envelope.proposalId,
    },
  };
}
