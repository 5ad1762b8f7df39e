/**
 * COSE_Sign1 signing for CCF signed requests (`/gov` API and `user_cose_sign1` endpoints),
 * producing what CCF's Python reference signer (`ccf_cose_sign1`) produces:
 *
 * - protected header `{1: alg, 4: kid, …text labels}` in deterministic order (RFC 8949 §4.2.1:
 *   encoded keys sorted bytewise, so the integer labels come first), with `alg` chosen by the
 *   key's curve (P-256 → ES256, P-384 → ES384, P-521 → ES512) and `kid` the byte string of the
 *   signer's id (the lower-hex SHA-256 of its certificate, as ASCII);
 * - an empty unprotected header, the payload embedded, and the ECDSA signature as `r ‖ s`
 *   over `["Signature1", protected, h'', payload]`; CBOR tag 18 around it all.
 */
import { X509Certificate, createHash, createPrivateKey, sign, type KeyObject } from "node:crypto";
import { Encoder, Tag } from "cbor-x";

export type ProtectedHeaderValue = string | number;

export interface CoseSign1Request {
  /** PEM (PKCS#8 or SEC1) of an EC private key on P-256, P-384 or P-521. */
  privateKeyPem: string;
  /** The signer's id, sent as the byte string of its UTF-8 text (CCF: the lower-hex cert id). */
  kid: string;
  /** Further protected headers by text label, e.g. `ccf.gov.msg.type`, `ccf.gov.msg.created_at`. */
  protectedHeaders?: Readonly<Record<string, ProtectedHeaderValue>>;
  payload: Uint8Array;
}

/** CCF's id of a member or user, and so its `kid`: the lower-hex SHA-256 of its certificate's DER. */
export function certificateId(certPem: string): string {
  return createHash("sha256").update(new X509Certificate(certPem).raw).digest("hex");
}

const COSE_SIGN1_TAG = 18;
const LABEL_ALG = 1;
const LABEL_KID = 4;

const BY_CURVE: Readonly<Record<string, { alg: number; hash: string }>> = {
  prime256v1: { alg: -7, hash: "sha256" },
  secp384r1: { alg: -35, hash: "sha384" },
  secp521r1: { alg: -36, hash: "sha512" },
};

const encoder = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false });

/** cbor-x hands back a view of a buffer it reuses: take a copy. */
function encode(value: unknown): Uint8Array {
  return Uint8Array.from(encoder.encode(value));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/** The COSE algorithm and hash for an EC key, by curve. */
export function coseAlgorithmFor(key: KeyObject): { alg: number; hash: string } {
  const curve = key.asymmetricKeyType === "ec" ? key.asymmetricKeyDetails?.namedCurve : undefined;
  const choice = curve === undefined ? undefined : BY_CURVE[curve];
  if (!choice) {
    const what = curve ?? key.asymmetricKeyType ?? "unknown";
    throw new TypeError(`COSE signing needs an EC key on P-256, P-384 or P-521, not ${what}`);
  }
  return choice;
}

/** The encoded protected header, keys in deterministic order. */
export function encodeProtectedHeader(
  alg: number,
  kid: string,
  headers: Readonly<Record<string, ProtectedHeaderValue>> = {},
): Uint8Array {
  const entries: [number | string, unknown][] = [
    [LABEL_ALG, alg],
    [LABEL_KID, new TextEncoder().encode(kid)],
  ];
  for (const [label, value] of Object.entries(headers)) {
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new RangeError(`Protected header ${label} must be an integer, not ${value}`);
    }
    if (typeof value !== "number" && typeof value !== "string") {
      throw new TypeError(`Protected header ${label} must be a string or an integer`);
    }
    entries.push([label, value]);
  }
  const sorted = entries
    .map((entry) => ({ entry, key: encode(entry[0]) }))
    .sort((a, b) => compareBytes(a.key, b.key))
    .map(({ entry }) => entry);
  return encode(new Map(sorted));
}

/** Signs `payload` as a tagged COSE_Sign1 message with an embedded payload. */
export function signCoseSign1(request: CoseSign1Request): Uint8Array {
  let key: KeyObject;
  try {
    key = createPrivateKey(request.privateKeyPem);
  } catch {
    throw new TypeError("COSE signing key is not a PEM private key");
  }
  const { alg, hash } = coseAlgorithmFor(key);
  const protectedBytes = encodeProtectedHeader(alg, request.kid, request.protectedHeaders);
  const payload = request.payload;
  const toBeSigned = encode(["Signature1", protectedBytes, new Uint8Array(0), payload]);
  const signature = sign(hash, toBeSigned, { key, dsaEncoding: "ieee-p1363" });
  return encode(new Tag([protectedBytes, new Map(), payload, signature], COSE_SIGN1_TAG));
}
