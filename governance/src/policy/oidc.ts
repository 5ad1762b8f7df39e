// The OIDC issuer's rules as pure functions: what a token request may ask for, the claims of the
// token, its compact JWS form (ES256), and which signing keys the JWKS must publish.
// No host APIs: signing and hashing are done by the caller (ccf.crypto in the app).
import { base64Encode, utf8Encode } from "../../../contracts/src/encoding.js";
import { tokenSubject, type TokenClaims } from "../../../contracts/src/oidc.js";

/** The only algorithm the issuer signs with, advertised as such. */
export const TOKEN_ALGORITHM = "ES256";

/** The governance-wide lifetime cap until members set one (seconds). */
export const DEFAULT_MAX_LIFETIME_SECONDS = 3600;

/** What members decided (`public:ccf.gov.cleanroom.oidc_issuer`, constitution/oidc.js). */
export interface IssuerRecord {
  enabled: boolean;
  issuerUrl?: string;
  /** The signing-key generation members asked for (enabling: 1; each rotation: +1). */
  keyRequest: number;
  /** The proposal that asked for it. */
  keyRequestProposalId?: string;
  maxLifetimeSeconds: number;
}

/** A signing key's public record (`public:cleanroom.oidc_public_keys`, keyed by kid). */
export interface SigningKeyRecord {
  kid: string;
  generation: number;
  jwk: PublicJwk;
  /** Seconds since the epoch. */
  createdAt: number;
  createdBy: string;
  /** The proposal that asked for this generation. */
  proposalId?: string;
  /** The latest `exp` of the tokens it signed; 0 if it signed none. */
  latestTokenExpiry: number;
  /** When a newer key replaced it (seconds since the epoch). */
  retiredAt?: number;
}

/** Which keys exist: the current one and the retired ones that may still be published. */
export interface Keyring {
  current?: string;
  generation: number;
  retired: string[];
}

export interface PublicJwk {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
  kid: string;
  alg: typeof TOKEN_ALGORITHM;
  use: "sig";
}

// ---------------------------------------------------------------------------------------------
// Encodings

/** base64url without padding (RFC 7515 §2). */
export function base64url(bytes: Uint8Array): string {
  return base64Encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The input of a key's RFC 7638 thumbprint: its required members in lexical order, no spaces.
 * The kid is base64url(SHA-256(this)), so anyone can check a kid against its key.
 */
export function thumbprintInput(jwk: { crv: string; kty: string; x: string; y: string }): string {
  return JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
}

/** `header.claims` of a compact JWS (the bytes that get signed are its UTF-8, i.e. ASCII). */
export function signingInput(kid: string, claims: TokenClaims): string {
  const header = { alg: TOKEN_ALGORITHM, typ: "JWT", kid };
  return `${base64url(utf8Encode(JSON.stringify(header)))}.${base64url(utf8Encode(JSON.stringify(claims)))}`;
}

/**
 * The compact JWT from its signing input and an ES256 signature. An ES256 JWS signature is the
 * 64 bytes r ‖ s (RFC 7518 §3.4): exactly the IEEE P1363 form ccf.crypto.sign returns for ECDSA.
 */
export function compactJwt(input: string, signature: Uint8Array): string {
  if (signature.length !== 64) {
    throw new RangeError(`An ES256 signature is 64 bytes (r ‖ s), not ${signature.length}`);
  }
  return `${input}.${base64url(signature)}`;
}

// ---------------------------------------------------------------------------------------------
// Token requests

export type Decision<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

const refuse = <T>(code: string, message: string): Decision<T> => ({ ok: false, code, message });

/** The fields of a token request's signed payload beyond contract, run and purpose. */
export interface TokenAsk {
  audience: string;
  lifetimeSeconds?: number;
}

/** Checks what a runtime asks for (shape only): `audience` and optional `lifetimeSeconds`. */
export function parseTokenAsk(payload: Record<string, unknown>): Decision<TokenAsk> {
  const audience = payload["audience"];
  if (typeof audience !== "string" || audience.length === 0 || audience.length > 512) {
    return refuse("InvalidTokenRequest", "payload.audience must be a non-empty string.");
  }
  const lifetime = payload["lifetimeSeconds"];
  if (lifetime === undefined) return { ok: true, value: { audience } };
  if (typeof lifetime !== "number" || !Number.isInteger(lifetime) || lifetime < 1) {
    return refuse(
      "InvalidTokenRequest",
      "payload.lifetimeSeconds must be a positive integer number of seconds.",
    );
  }
  return { ok: true, value: { audience, lifetimeSeconds: lifetime } };
}

/** Whether the contract lets its runs have tokens for `audience`. */
export function checkAudience(
  audience: string,
  tokenPolicy: { audiences: string[] } | undefined,
  contractId: string,
): Decision<string> {
  if (!tokenPolicy) {
    return refuse(
      "TokenPolicyMissing",
      `Contract ${contractId} has no token policy: its runs cannot have tokens.`,
    );
  }
  if (!tokenPolicy.audiences.includes(audience)) {
    return refuse(
      "AudienceNotAllowed",
      `Audience '${audience}' is not in contract ${contractId}'s token policy (allowed: ${tokenPolicy.audiences.join(", ")}).`,
    );
  }
  return { ok: true, value: audience };
}

/** min(requested, contract cap, governance cap), each cap applying only when set. */
export function tokenLifetime(
  requested: number | undefined,
  contractCap: number | undefined,
  governanceCap: number,
): number {
  let lifetime = governanceCap;
  if (contractCap !== undefined) lifetime = Math.min(lifetime, contractCap);
  if (requested !== undefined) lifetime = Math.min(lifetime, requested);
  return lifetime;
}

/** The claims of a run's token issued at `nowSeconds` (integer seconds, numeric dates). */
export function tokenClaims(input: {
  issuer: string;
  contractId: string;
  runId: string;
  audience: string;
  nowSeconds: number;
  lifetimeSeconds: number;
  jti: string;
}): TokenClaims {
  const now = Math.floor(input.nowSeconds);
  return {
    iss: input.issuer,
    sub: tokenSubject(input.contractId, input.runId),
    aud: input.audience,
    iat: now,
    nbf: now,
    exp: now + input.lifetimeSeconds,
    jti: input.jti,
  };
}

// ---------------------------------------------------------------------------------------------
// Keys and discovery

/**
 * The keys the JWKS publishes at `nowSeconds`: the current one, and every retired one that
 * signed a token that has not expired yet (a token is valid while now < exp).
 */
export function publishedKeys(
  keyring: Keyring,
  records: ReadonlyMap<string, SigningKeyRecord>,
  nowSeconds: number,
): SigningKeyRecord[] {
  const keys: SigningKeyRecord[] = [];
  const current = keyring.current === undefined ? undefined : records.get(keyring.current);
  if (current) keys.push(current);
  for (const kid of keyring.retired) {
    const record = records.get(kid);
    if (record && record.latestTokenExpiry > nowSeconds) keys.push(record);
  }
  return keys;
}

/** The retired keys still worth keeping in the keyring (the others can never be published again). */
export function stillPublished(
  retired: string[],
  records: ReadonlyMap<string, SigningKeyRecord>,
  nowSeconds: number,
): string[] {
  return retired.filter((kid) => (records.get(kid)?.latestTokenExpiry ?? 0) > nowSeconds);
}

/** The OpenID Provider metadata (discovery document) of an issuer at `issuerUrl`. */
export function discoveryDocument(issuerUrl: string): Record<string, unknown> {
  return {
    issuer: issuerUrl,
    jwks_uri: `${issuerUrl}/keys`,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [TOKEN_ALGORITHM],
    claims_supported: ["iss", "sub", "aud", "iat", "nbf", "exp", "jti"],
  };
}
