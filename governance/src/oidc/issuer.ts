// The OIDC issuer's state inside the app: what members decided (read from the governance table),
// the signing keys (public records, private keys in a private table), key generation and signing.
// Time is the host's untrusted clock: the endpoint module enables it (ccf.enableUntrustedDateTime).
import { ccf } from "@microsoft/ccf-app/global.js";
import {
  DEFAULT_MAX_LIFETIME_SECONDS,
  TOKEN_ALGORITHM,
  base64url,
  compactJwt,
  publishedKeys,
  signingInput,
  stillPublished,
  thumbprintInput,
  type IssuerRecord,
  type Keyring,
  type PublicJwk,
  type SigningKeyRecord,
} from "../policy/oidc.js";
import type { TokenClaims } from "../../../contracts/src/oidc.js";
import { hexEncode } from "../../../contracts/src/encoding.js";
import { Tables } from "../tables.js";
import { ApiError } from "../lib/errors.js";
import { JsonTable } from "../lib/records.js";

const issuerTable = new JsonTable<IssuerRecord>(Tables.oidcIssuer);
const publicKeys = new JsonTable<SigningKeyRecord>(Tables.oidcPublicKeys);
const keyringTable = new JsonTable<Keyring>(Tables.oidcPublicKeys);
const privateKeys = new JsonTable<{ privateKeyPem: string }>(Tables.oidcPrivateKeys);

/** The keyring's key in the public-keys table (kids are base64url, never starting with `@`). */
const KEYRING = "@keyring";

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** What members decided; a disabled issuer if they decided nothing yet. */
export function issuerState(): IssuerRecord {
  const record = issuerTable.get("issuer");
  return {
    enabled: record?.enabled === true,
    keyRequest: record?.keyRequest ?? 0,
    maxLifetimeSeconds: record?.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS,
    ...(record?.issuerUrl !== undefined ? { issuerUrl: record.issuerUrl } : {}),
    ...(record?.keyRequestProposalId !== undefined
      ? { keyRequestProposalId: record.keyRequestProposalId }
      : {}),
  };
}

/** The issuer, or 409 `OidcIssuerNotEnabled`. */
export function requireEnabledIssuer(): IssuerRecord {
  const state = issuerState();
  if (state.enabled) return state;
  throw new ApiError(
    409,
    "OidcIssuerNotEnabled",
    "The OIDC issuer is not enabled: members must pass an enable_oidc_issuer proposal.",
  );
}

/** The issuer URL, or 409 `IssuerUrlNotSet`. */
export function requireIssuerUrl(state: IssuerRecord): string {
  if (state.issuerUrl !== undefined) return state.issuerUrl;
  throw new ApiError(
    409,
    "IssuerUrlNotSet",
    "The OIDC issuer has no URL: members must pass a set_oidc_issuer_url proposal.",
  );
}

export function keyring(): Keyring {
  return keyringTable.get(KEYRING) ?? { generation: 0, retired: [] };
}

function records(ring: Keyring): Map<string, SigningKeyRecord> {
  const map = new Map<string, SigningKeyRecord>();
  for (const kid of [...(ring.current === undefined ? [] : [ring.current]), ...ring.retired]) {
    const record = publicKeys.get(kid);
    if (record) map.set(kid, record);
  }
  return map;
}

/** The JWKS now: the current key and the retired keys whose tokens have not all expired. */
export function jwks(): { keys: PublicJwk[] } {
  const ring = keyring();
  return { keys: publishedKeys(ring, records(ring), nowSeconds()).map((r) => r.jwk) };
}

/** The current signing key's record, or 409 `SigningKeyNotAvailable`. */
export function requireCurrentKey(): SigningKeyRecord {
  const ring = keyring();
  const record = ring.current === undefined ? undefined : publicKeys.get(ring.current);
  if (record) return record;
  throw new ApiError(
    409,
    "SigningKeyNotAvailable",
    "The OIDC issuer has no signing key yet: a member must call POST /app/oidc/signing-keys.",
  );
}

export interface GeneratedKey {
  record: SigningKeyRecord;
  /** The key it replaced, if any. */
  previous?: SigningKeyRecord;
}

/**
 * Generates the signing key of the generation members asked for (P-256, inside governance): the
 * private key goes to the private table only; the previous key is retired (its private key
 * deleted, its public key kept for as long as a token it signed is valid).
 */
export function generateSigningKey(state: IssuerRecord, memberId: string): GeneratedKey {
  const ring = keyring();
  const now = nowSeconds();
  const pair = ccf.crypto.generateEcdsaKeyPair("secp256r1");
  const raw = ccf.crypto.pubPemToJwk(pair.publicKey);
  const thumbprint = ccf.crypto.digest(
    "SHA-256",
    ccf.strToBuf(thumbprintInput({ crv: raw.crv, kty: raw.kty, x: raw.x, y: raw.y })),
  );
  const kid = base64url(new Uint8Array(thumbprint));
  const jwk: PublicJwk = {
    kty: "EC",
    crv: "P-256",
    x: raw.x,
    y: raw.y,
    kid,
    alg: TOKEN_ALGORITHM,
    use: "sig",
  };
  const record: SigningKeyRecord = {
    kid,
    generation: state.keyRequest,
    jwk,
    createdAt: now,
    createdBy: memberId,
    latestTokenExpiry: 0,
  };
  if (state.keyRequestProposalId !== undefined) record.proposalId = state.keyRequestProposalId;

  const known = records(ring);
  let previous: SigningKeyRecord | undefined;
  if (ring.current !== undefined) {
    previous = known.get(ring.current);
    if (previous) {
      previous = { ...previous, retiredAt: now };
      publicKeys.set(previous.kid, previous);
      known.set(previous.kid, previous);
    }
    privateKeys.delete(ring.current);
  }
  const retired = stillPublished(
    ring.current === undefined ? ring.retired : [ring.current, ...ring.retired],
    known,
    now,
  );
  privateKeys.set(kid, { privateKeyPem: pair.privateKey });
  publicKeys.set(kid, record);
  keyringTable.set(KEYRING, { current: kid, generation: state.keyRequest, retired });
  return previous ? { record, previous } : { record };
}

/** 128 random bits from CCF's entropy, as hex: a token id nobody can predict or repeat. */
export function newJti(): string {
  return hexEncode(new Uint8Array(ccf.crypto.generateAesKey(128)));
}

/** Signs `claims` with `key` (ES256) and returns the compact JWT. Writes nothing. */
export function signToken(key: SigningKeyRecord, claims: TokenClaims): string {
  const secret = privateKeys.get(key.kid);
  if (!secret) {
    throw new ApiError(
      409,
      "SigningKeyNotAvailable",
      "The OIDC signing key is not available: a member must call POST /app/oidc/signing-keys.",
    );
  }
  const input = signingInput(key.kid, claims);
  const signature = ccf.crypto.sign(
    { name: "ECDSA", hash: "SHA-256" },
    secret.privateKeyPem,
    ccf.strToBuf(input),
  );
  return compactJwt(input, new Uint8Array(signature));
}

/** Keeps `key` in the JWKS at least until `exp`, when the last token it signed expires. */
export function noteTokenExpiry(key: SigningKeyRecord, exp: number): void {
  if (exp > key.latestTokenExpiry) publicKeys.set(key.kid, { ...key, latestTokenExpiry: exp });
}
