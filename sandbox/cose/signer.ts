/**
 * What every COSE-signed request shares, whoever signs it (a user for `user_cose_sign1`, a
 * member for `/gov`): the content type, an ECDSA algorithm, and a signature that verifies with
 * the certificate registered under the `kid`. CCF's reasons, so both refuse in the same words.
 */
import { X509Certificate, type KeyObject } from "node:crypto";
import { Lru } from "../lru.js";
import { isEcdsaAlgorithm, verifySign1, type Sign1 } from "./sign1.js";

export const COSE_CONTENT_TYPE = "application/cose";
/** CCF's `WWW-Authenticate` challenge for COSE Sign1 policies. */
export const COSE_CHALLENGE = 'COSE-SIGN1 realm="Signed request access"';

/** CCF's reason for refusing a request that is not `application/cose`; undefined if it is. */
export function contentTypeProblem(headers: Record<string, string>): string | undefined {
  const contentType = headers["content-type"];
  if (contentType === undefined) return "Missing content-type header";
  if (contentType !== COSE_CONTENT_TYPE) return `Content type is not set to ${COSE_CONTENT_TYPE}`;
  return undefined;
}

/** Signers' public keys by certificate PEM; `null` for text that is not a certificate. */
const certKeys = new Lru<string, KeyObject | null>(1024);

function certKey(pem: string): KeyObject | null {
  return certKeys.getOrCompute(pem, () => {
    try {
      return new X509Certificate(pem).publicKey;
    } catch {
      return null;
    }
  });
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export type SignerCheck = { ok: true; id: string; certPem: string } | { ok: false; reason: string };

/**
 * Verifies a decoded Sign1 against the certificate `certificateOf(kid)` returns, `kid` being the
 * signer's hex id as bytes. `role` words the refusal of an unknown signer ("user", "member").
 */
export function verifySigner(
  sign1: Sign1,
  alg: number,
  kid: Uint8Array,
  certificateOf: (id: string) => string | undefined,
  role: "user" | "member",
): SignerCheck {
  if (!isEcdsaAlgorithm(alg)) return { ok: false, reason: `Unsupported algorithm: ${alg}` };
  const unknown = { ok: false as const, reason: `Signer is not a known ${role}` };
  let id: string;
  try {
    id = utf8.decode(kid);
  } catch {
    return unknown;
  }
  const certPem = certificateOf(id);
  if (certPem === undefined) return unknown;
  const key = certKey(certPem);
  if (key === null || !verifySign1(sign1, key)) {
    return { ok: false, reason: "Failed to validate COSE Sign1" };
  }
  return { ok: true, id, certPem };
}
