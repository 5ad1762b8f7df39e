/**
 * `user_cose_sign1`: a request body that is a COSE_Sign1 message signed by a registered user
 * (CCF cose_auth.cpp, `UserCOSESign1AuthnPolicy`):
 *
 * - `Content-Type` must be exactly `application/cose`;
 * - the body must be a tagged COSE_Sign1 whose protected header has an integer `alg`, a
 *   byte-string `kid`, and optionally `ccf.msg.type` (text) and `ccf.msg.created_at` (integer),
 *   which are type-checked but not exposed. As in CCF, a body that does not decode is not an
 *   authentication failure but an error (500 `InternalError`, CCF's decoder message);
 * - `alg` must be ES256/ES384/ES512, `kid` (as text) a key of `public:ccf.gov.users.certs`, and
 *   the signature must verify with that certificate's key. The certificate's validity window is
 *   not checked (CCF does not).
 *
 * Caller `{cose: {content}, policy, id, data, cert}`, `content` being the payload.
 */
import { Tables } from "../enclave/tables.js";
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
import { callerData, readText } from "./certs.js";
import {
  AuthInternalError,
  fail,
  type AuthnPolicy,
  type PolicyContext,
  type PolicyOutcome,
} from "./types.js";

export const MSG_TYPE_LABEL = "ccf.msg.type";
export const MSG_CREATED_AT_LABEL = "ccf.msg.created_at";

interface Envelope {
  sign1: Sign1;
  alg: number;
  kid: Uint8Array;
}

/** Decodes the envelope; what CCF's decoder throws becomes an `AuthInternalError`. */
function decodeEnvelope(body: Uint8Array): Envelope {
  try {
    const sign1 = decodeSign1(body);
    const header = sign1.protectedHeader;
    const alg = headerInt(header, HeaderLabel.alg);
    const kid = headerBytes(header, HeaderLabel.kid);
    headerText(header, MSG_TYPE_LABEL);
    headerInt(header, MSG_CREATED_AT_LABEL);
    if (alg === undefined) throw new CoseError("MissingAlgorithm");
    if (kid === undefined) throw new AuthInternalError("Missing kid in protected header");
    return { sign1, alg, kid };
  } catch (e) {
    if (e instanceof CoseError) throw new AuthInternalError(e.message);
    throw e;
  }
}

export const userCoseSign1: AuthnPolicy = {
  name: "user_cose_sign1",
  authenticate({ request, gov }: PolicyContext): PolicyOutcome {
    const problem = contentTypeProblem(request.headers);
    if (problem !== undefined) return fail(problem, COSE_CHALLENGE);
    const { sign1, alg, kid } = decodeEnvelope(request.body);
    const signer = verifySigner(
      sign1,
      alg,
      kid,
      (id) => readText(gov, Tables.usersCerts, id),
      "user",
    );
    if (!signer.ok) return fail(signer.reason, COSE_CHALLENGE);
    const { id, certPem: pem } = signer;
    return {
      ok: true,
      identity: {
        cose: { content: Uint8Array.from(sign1.payload ?? []) },
        policy: "user_cose_sign1",
        id,
        data: callerData(gov, Tables.usersInfo, id, "user_data"),
        cert: pem,
      },
    };
  },
};
