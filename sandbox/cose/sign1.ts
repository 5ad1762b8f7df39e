/**
 * COSE_Sign1 (RFC 9052 §4.2) decoding and ECDSA verification, as CCF uses it for signed requests:
 * user requests (`user_cose_sign1`) and the `/gov` API (ccf-runtime.md §4.2).
 *
 * A message is CBOR tag 18 around `[protected: bstr, unprotected: map, payload: bstr / nil,
 * signature: bstr]`; the protected header is itself a CBOR map inside the bstr, with integer
 * labels (1 = alg, 4 = kid) and, for CCF, text labels (`ccf.gov.msg.type`, …). The signature is
 * over `Sig_structure = ["Signature1", protected, external_aad (h''), payload]`, and for ECDSA it
 * is the raw `r ‖ s` form.
 *
 * Decoding errors are `CoseError`s whose messages follow CCF's (`COSE_Sign1 is not tagged`, …),
 * so callers can surface them as CCF does.
 */
import { X509Certificate, createPublicKey, verify, type KeyObject } from "node:crypto";
import { Decoder, Encoder, Tag } from "cbor-x";

/** CBOR tag of a COSE_Sign1 message. */
export const COSE_SIGN1_TAG = 18;

/** Common COSE header labels (RFC 9052 §3.1). */
export const HeaderLabel = { alg: 1, contentType: 3, kid: 4 } as const;

/** The COSE algorithms CCF accepts for signed requests (ECDSA only). */
export const CoseAlgorithm = { ES256: -7, ES384: -35, ES512: -36 } as const;

const ECDSA_HASH = new Map<number, string>([
  [CoseAlgorithm.ES256, "sha256"],
  [CoseAlgorithm.ES384, "sha384"],
  [CoseAlgorithm.ES512, "sha512"],
]);

export type HeaderLabelValue = number | string;
export type HeaderMap = ReadonlyMap<HeaderLabelValue, unknown>;

export type CoseErrorKind =
  /** Not CBOR, or not a CBOR array (with or without a tag). */
  | "NotAnArray"
  /** A CBOR array without tag 18. */
  | "NotTagged"
  /** The protected header is not a bstr holding a CBOR map, or a header value has the wrong type. */
  | "BadProtectedHeader"
  /** Wrong number of items, unprotected header not a map, payload or signature of the wrong type. */
  | "BadStructure"
  /** No `alg` in the protected header. */
  | "MissingAlgorithm"
  /** An `alg` other than ES256/ES384/ES512. */
  | "UnsupportedAlgorithm"
  /** The verification key is neither a public key nor a certificate. */
  | "BadKey";

const MESSAGES: Record<CoseErrorKind, string> = {
  NotAnArray: "Failed to parse COSE_Sign1 outer array",
  NotTagged: "COSE_Sign1 is not tagged",
  BadProtectedHeader: "Failed to decode protected header",
  BadStructure: "Failed to decode COSE_Sign1",
  MissingAlgorithm: "Missing algorithm in protected header",
  UnsupportedAlgorithm: "Unsupported algorithm",
  BadKey: "Invalid COSE verification key",
};

/** A malformed message, header or key. `message` reads like CCF's own. */
export class CoseError extends Error {
  override readonly name = "CoseError";

  constructor(
    readonly kind: CoseErrorKind,
    detail?: string,
  ) {
    super(detail === undefined ? MESSAGES[kind] : `${MESSAGES[kind]}: ${detail}`);
  }
}

export interface Sign1 {
  /** The protected header exactly as sent (the bstr's content), as signed. */
  readonly protectedBytes: Uint8Array;
  /** The decoded protected header: integer and text labels. */
  readonly protectedHeader: HeaderMap;
  readonly unprotectedHeader: HeaderMap;
  /** The embedded payload, or `null` when detached. Views the input bytes. */
  readonly payload: Uint8Array | null;
  readonly signature: Uint8Array;
  /** The ToBeSigned bytes (`Sig_structure` with empty external AAD); `null` for a detached payload. */
  readonly sigStructure: Uint8Array | null;
}

const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });
const encoder = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false });
const EMPTY = new Uint8Array(0);

function decodeCbor(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: decoder.decode(bytes) as unknown };
  } catch {
    return { ok: false };
  }
}

function decodeHeaderMap(bytes: Uint8Array): HeaderMap {
  // RFC 9052 §3: an empty protected header is sent as a zero-length bstr.
  if (bytes.length === 0) return new Map();
  const decoded = decodeCbor(bytes);
  if (!decoded.ok || !(decoded.value instanceof Map)) throw new CoseError("BadProtectedHeader");
  return decoded.value as HeaderMap;
}

/** Decodes a tagged COSE_Sign1 message. Throws `CoseError` on anything malformed. */
export function decodeSign1(message: Uint8Array): Sign1 {
  const decoded = decodeCbor(message);
  if (!decoded.ok) throw new CoseError("NotAnArray");
  const outer = decoded.value;
  const tagged = outer instanceof Tag;
  const items: unknown = tagged ? (outer as Tag).value : outer;
  if (!Array.isArray(items)) throw new CoseError("NotAnArray");
  if (!tagged || (outer as Tag).tag !== COSE_SIGN1_TAG) throw new CoseError("NotTagged");
  const [protectedBytes, unprotected, payload, signature] = items as unknown[];
  if (!(protectedBytes instanceof Uint8Array)) throw new CoseError("BadProtectedHeader");
  const protectedHeader = decodeHeaderMap(protectedBytes);
  if (items.length !== 4) throw new CoseError("BadStructure", "expected 4 items");
  if (!(unprotected instanceof Map)) {
    throw new CoseError("BadStructure", "unprotected header is not a map");
  }
  if (payload !== null && !(payload instanceof Uint8Array)) {
    throw new CoseError("BadStructure", "payload is neither a byte string nor nil");
  }
  if (!(signature instanceof Uint8Array)) {
    throw new CoseError("BadStructure", "signature is not a byte string");
  }
  return {
    protectedBytes,
    protectedHeader,
    unprotectedHeader: unprotected as HeaderMap,
    payload,
    signature,
    sigStructure: payload === null ? null : sigStructure(protectedBytes, payload),
  };
}

/** `Sig_structure` for COSE_Sign1: `["Signature1", protected, external_aad, payload]`. */
export function sigStructure(
  protectedBytes: Uint8Array,
  payload: Uint8Array,
  externalAad: Uint8Array = EMPTY,
): Uint8Array {
  // cbor-x returns a view of a buffer it reuses: copy.
  return Uint8Array.from(encoder.encode(["Signature1", protectedBytes, externalAad, payload]));
}

function wrongType(label: HeaderLabelValue, expected: string): CoseError {
  return new CoseError("BadProtectedHeader", `${String(label)} is not ${expected}`);
}

/** An integer header value, `undefined` if absent; `CoseError` if present with another type. */
export function headerInt(header: HeaderMap, label: HeaderLabelValue): number | undefined {
  const value = header.get(label);
  if (value === undefined) return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "bigint") {
    const asNumber = Number(value);
    if (Number.isSafeInteger(asNumber)) return asNumber;
  }
  throw wrongType(label, "an integer");
}

/** A text header value, `undefined` if absent; `CoseError` if present with another type. */
export function headerText(header: HeaderMap, label: HeaderLabelValue): string | undefined {
  const value = header.get(label);
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  throw wrongType(label, "a text string");
}

/** A byte-string header value, `undefined` if absent; `CoseError` if present with another type. */
export function headerBytes(header: HeaderMap, label: HeaderLabelValue): Uint8Array | undefined {
  const value = header.get(label);
  if (value === undefined) return undefined;
  if (value instanceof Uint8Array) return value;
  throw wrongType(label, "a byte string");
}

export function isEcdsaAlgorithm(alg: number): boolean {
  return ECDSA_HASH.has(alg);
}

/** The message's `alg`; `CoseError` if missing, mistyped or not ES256/ES384/ES512. */
export function ecdsaAlgorithm(sign1: Sign1): number {
  const alg = headerInt(sign1.protectedHeader, HeaderLabel.alg);
  if (alg === undefined) throw new CoseError("MissingAlgorithm");
  if (!ECDSA_HASH.has(alg)) throw new CoseError("UnsupportedAlgorithm", String(alg));
  return alg;
}

export type VerificationKey = KeyObject | X509Certificate | string;

/** A public key from a key object, a certificate, or PEM text of either. */
export function toPublicKey(key: VerificationKey): KeyObject {
  if (key instanceof X509Certificate) return key.publicKey;
  if (typeof key !== "string") {
    if (key.type === "public") return key;
    throw new CoseError("BadKey", `a ${key.type} key`);
  }
  try {
    return key.includes("CERTIFICATE-----")
      ? new X509Certificate(key).publicKey
      : createPublicKey(key);
  } catch {
    throw new CoseError("BadKey", "not a PEM public key or certificate");
  }
}

/**
 * Verifies the signature of a decoded message with an EC public key (or certificate). The hash
 * follows `alg`; the signature must be `r ‖ s` for the key's curve. Returns false for a bad or
 * mis-sized signature, a non-EC key or a detached payload; throws `CoseError` for a missing or
 * unsupported `alg`.
 */
export function verifySign1(sign1: Sign1, key: VerificationKey): boolean {
  const hash = ECDSA_HASH.get(ecdsaAlgorithm(sign1)) as string;
  const publicKey = toPublicKey(key);
  if (sign1.sigStructure === null || publicKey.asymmetricKeyType !== "ec") return false;
  try {
    return verify(
      hash,
      sign1.sigStructure,
      { key: publicKey, dsaEncoding: "ieee-p1363" },
      sign1.signature,
    );
  } catch {
    return false;
  }
}
