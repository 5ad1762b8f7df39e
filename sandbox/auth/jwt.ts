/**
 * `jwt`: an `Authorization: Bearer <JWT>` whose signing key governance has published
 * (`set_jwt_issuer` / `set_jwt_public_signing_keys`). As CCF 6.x (jwt_auth.cpp, http_jwt.h):
 *
 * - the header must carry `alg` and `kid` (string); the payload `exp` (number) and `iss` (string),
 *   optionally `nbf` (number) and `tid` (string);
 * - `kid` selects the entries of `public:ccf.gov.jwt.public_signing_keys_metadata_v2`
 *   (`[{public_key: base64 DER SPKI, issuer, constraint?}]`); each is tried in turn: signature,
 *   then `nbf` and `exp` against the host clock (whole seconds), then the issuer `constraint`;
 * - the key type decides the verification, as in CCF: an RSA key checks SHA-256 PKCS#1 v1.5
 *   (`RS256`), an EC key SHA-256 ECDSA with `r ‖ s` (`ES256`). The sandbox also accepts `PS256`
 *   (RSA-PSS, SHA-256, salt = hash length); CCF 6.x's header schema only admits RS256 and ES256.
 *
 * Caller `{policy: "jwt", jwt: {keyIssuer, header, payload}}`, `keyIssuer` being the issuer
 * name governance used, not necessarily `iss`.
 */
import { constants, createPublicKey, verify, type KeyObject } from "node:crypto";
import { Tables } from "../enclave/tables.js";
import type { HostValue } from "../quickjs/marshal.js";
import { Lru } from "../lru.js";
import { fail, type AuthnPolicy, type PolicyContext, type PolicyOutcome } from "./types.js";

export const JWT_CHALLENGE = 'Bearer realm="JWT bearer token access", error="invalid_token"';

/** Header `alg` values accepted. */
export const JWT_ALGORITHMS: readonly string[] = ["RS256", "ES256", "PS256"];

const ENTRA_HOST = "login.microsoftonline.com";
const TENANT_PLACEHOLDER = "{tenantid}";

interface KeyMetadata {
  public_key: string;
  issuer: string;
  constraint?: string;
}

interface Token {
  header: { [key: string]: HostValue };
  payload: { [key: string]: HostValue };
  kid: string;
  alg: string;
  exp: number;
  nbf: number | undefined;
  iss: string;
  tid: string | undefined;
  signedContent: Buffer;
  signature: Buffer;
}

type Parsed = { ok: true; token: Token } | { ok: false; reason: string };

function isObject(value: unknown): value is { [key: string]: HostValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isSeconds(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function parseToken(authorization: string): Parsed {
  const space = authorization.indexOf(" ");
  if (space < 0) return { ok: false, reason: "Authorization header only contains one field" };
  if (authorization.slice(0, space) !== "Bearer") {
    return { ok: false, reason: "Authorization header does not have Bearer scheme" };
  }
  const token = authorization.slice(space + 1);
  const first = token.indexOf(".");
  const second = first < 0 ? -1 : token.indexOf(".", first + 1);
  if (second < 0 || token.indexOf(".", second + 1) >= 0) {
    return { ok: false, reason: "Malformed JWT: must contain exactly 3 parts" };
  }
  let header: unknown;
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, first), "base64url").toString("utf8"));
    payload = JSON.parse(Buffer.from(token.slice(first + 1, second), "base64url").toString("utf8"));
  } catch (e) {
    return {
      ok: false,
      reason: `JWT header or payload is not valid JSON: ${(e as Error).message}`,
    };
  }
  if (!isObject(header) || !isObject(payload)) {
    return { ok: false, reason: "JWT header or payload is not an object" };
  }
  const headerProblem =
    typeof header["alg"] !== "string" || !JWT_ALGORITHMS.includes(header["alg"])
      ? `alg must be one of ${JWT_ALGORITHMS.join(", ")}`
      : typeof header["kid"] !== "string"
        ? "kid must be a string"
        : undefined;
  if (headerProblem !== undefined) {
    return { ok: false, reason: `JWT header does not follow schema: ${headerProblem}` };
  }
  const { exp, iss } = payload;
  const nbf = payload["nbf"] ?? undefined;
  const tid = payload["tid"] ?? undefined;
  const payloadProblem = !isSeconds(exp)
    ? "exp must be a non-negative number"
    : typeof iss !== "string"
      ? "iss must be a string"
      : nbf !== undefined && !isSeconds(nbf)
        ? "nbf must be a non-negative number"
        : tid !== undefined && typeof tid !== "string"
          ? "tid must be a string"
          : undefined;
  if (payloadProblem !== undefined) {
    return { ok: false, reason: `JWT payload is missing required field: ${payloadProblem}` };
  }
  return {
    ok: true,
    token: {
      header,
      payload,
      kid: header["kid"] as string,
      alg: header["alg"] as string,
      exp: Math.floor(exp as number),
      nbf: nbf === undefined ? undefined : Math.floor(nbf as number),
      iss: iss as string,
      tid: tid as string | undefined,
      signedContent: Buffer.from(token.slice(0, second), "latin1"),
      signature: Buffer.from(token.slice(second + 1), "base64url"),
    },
  };
}

function readKeys(context: PolicyContext, kid: string): KeyMetadata[] {
  const stored = context.gov.get(Tables.jwtKeys, kid);
  if (stored === undefined) return [];
  let entries: unknown;
  try {
    entries = JSON.parse(Buffer.from(stored).toString("utf8"));
  } catch {
    return [];
  }
  if (!Array.isArray(entries)) return [];
  const keys: KeyMetadata[] = [];
  for (const entry of entries as unknown[]) {
    if (!isObject(entry)) continue;
    const { public_key, issuer, constraint } = entry;
    if (typeof public_key !== "string" || typeof issuer !== "string") continue;
    if (typeof constraint === "string") keys.push({ public_key, issuer, constraint });
    else if (constraint === undefined || constraint === null) keys.push({ public_key, issuer });
  }
  return keys;
}

/** Parsed public keys by their base64 DER; `null` for bytes that are not a public key. */
const publicKeys = new Lru<string, KeyObject | null>(256);

function publicKey(base64Der: string): KeyObject | null {
  return publicKeys.getOrCompute(base64Der, () => {
    try {
      return createPublicKey({
        key: Buffer.from(base64Der, "base64"),
        format: "der",
        type: "spki",
      });
    } catch {
      return null;
    }
  });
}

function verifySignature(token: Token, base64Der: string): boolean {
  const key = publicKey(base64Der);
  if (key === null) return false;
  try {
    switch (key.asymmetricKeyType) {
      case "rsa":
      case "rsa-pss": {
        const pss = token.alg === "PS256";
        return verify(
          "sha256",
          token.signedContent,
          {
            key,
            padding: pss ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
          },
          token.signature,
        );
      }
      case "ec":
        return verify(
          "sha256",
          token.signedContent,
          { key, dsaEncoding: "ieee-p1363" },
          token.signature,
        );
      default:
        return false;
    }
  } catch {
    return false;
  }
}

function urlPart(url: string, part: "hostname" | "pathname"): string {
  try {
    return new URL(url)[part];
  } catch {
    return "";
  }
}

/**
 * Whether the token's `iss` (and `tid`) satisfy a key's issuer constraint. Outside Microsoft
 * Entra the constraint must equal `iss` and `tid` must be absent; for Entra, `{tenantid}` in the
 * constraint stands for `tid`, and `tid` must be the first segment of the issuer's path.
 */
export function validateIssuer(iss: string, tid: string | undefined, constraint: string): boolean {
  if (urlPart(constraint, "hostname") !== ENTRA_HOST)
    return iss === constraint && tid === undefined;
  const expected =
    tid !== undefined && constraint.includes(TENANT_PLACEHOLDER)
      ? constraint.replace(TENANT_PLACEHOLDER, tid)
      : constraint;
  if (iss !== expected) return false;
  const tenant = urlPart(iss, "pathname")
    .split("/")
    .find((segment) => segment !== "");
  return tenant !== undefined && tid !== undefined && tid === tenant;
}

export const jwt: AuthnPolicy = {
  name: "jwt",
  authenticate(context: PolicyContext): PolicyOutcome {
    const authorization = context.request.headers["authorization"];
    if (authorization === undefined) return fail("Missing authorization header", JWT_CHALLENGE);
    const parsed = parseToken(authorization);
    if (!parsed.ok) return fail(parsed.reason, JWT_CHALLENGE);
    const { token } = parsed;
    const entries = readKeys(context, token.kid);
    if (entries.length === 0) {
      return fail(`JWT signing key not found for kid ${token.kid}`, JWT_CHALLENGE);
    }
    const now = Math.floor(context.nowMs / 1000);
    let reason = "";
    for (const entry of entries) {
      if (!verifySignature(token, entry.public_key)) {
        reason = "Signature verification failed";
      } else if (token.nbf !== undefined && now < token.nbf) {
        reason = `Current time ${now} is before token's Not Before (nbf) claim ${token.nbf}`;
      } else if (now > token.exp) {
        reason = `Current time ${now} is after token's Expiration Time (exp) claim ${token.exp}`;
      } else if (
        entry.constraint !== undefined &&
        !validateIssuer(token.iss, token.tid, entry.constraint)
      ) {
        reason = `Kid ${token.kid} failed issuer constraint validation ${entry.constraint}`;
      } else {
        return {
          ok: true,
          identity: {
            policy: "jwt",
            jwt: { keyIssuer: entry.issuer, header: token.header, payload: token.payload },
          },
        };
      }
    }
    return fail(reason, JWT_CHALLENGE);
  },
};
