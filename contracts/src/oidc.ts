// The OIDC issuer's token exchange, as data: what an attested clean room asks for and what
// governance answers. Pure; shared by governance (QuickJS) and the runtime.
import type { RuntimePayload } from "./attestation.js";

/**
 * The signed payload of `POST /app/contracts/{contractId}/oidc/token` (the body is a
 * `SignedRuntimeRequest` whose payload text is this, signed with the run's bound key).
 */
export interface TokenRequestPayload extends RuntimePayload {
  purpose: "token";
  /** The token's `aud`: one of the contract's `tokenPolicy.audiences`. */
  audience: string;
  /**
   * How long the token should live; governance caps it by the contract's and its own maximum.
   * Absent: as long as those caps allow.
   */
  lifetimeSeconds?: number;
}

/** What governance answers: the token wrapped to the run's bound key, and its public facts. */
export interface TokenResponse {
  /** base64 of RSA-OAEP-AES-KWP(UTF-8 of the compact JWT), wrapped to the run's bound key. */
  wrappedToken: string;
  algorithm: "RSA-OAEP-AES-KWP";
  /** The signing key's id (the JWT header's `kid`). */
  kid: string;
  /** The token's claims, in clear: none of them is secret, only the signed token is. */
  claims: TokenClaims;
}

/** The claims of every token the issuer signs. */
export interface TokenClaims {
  /** The configured issuer URL. */
  iss: string;
  /** `contract:<contractId>:run:<runId>`. */
  sub: string;
  aud: string;
  /** Seconds since the epoch (governance's untrusted host clock). */
  iat: number;
  nbf: number;
  exp: number;
  /** Unique per token (128 random bits, hex). */
  jti: string;
}

/** The subject of a run's tokens: what a federated credential matches. */
export function tokenSubject(contractId: string, runId: string): string {
  return `contract:${contractId}:run:${runId}`;
}
