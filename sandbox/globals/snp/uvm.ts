/**
 * UVM endorsements: a COSE_Sign1 document (tag 18) whose protected header carries the signing
 * chain (`x5chain`, label 33), the issuer DID (`iss`, did:x509) and the feed (`feed`), and whose
 * JSON payload states the endorsed launch measurement and guest SVN. Checked as CCF does
 * (src/node/uvm_endorsements.cpp, `verify_uvm_endorsements_against_roots_of_trust`): protected
 * header, algorithm, did:x509 resolution of the signing key, signature, content type, payload,
 * measurement, then the roots of trust (same DID and feed, SVN at least the root's, compared as
 * unsigned integers). Messages are CCF's, since CCF passes them to the app.
 */
import { constants, createHash, verify as verifySignature, type KeyObject } from "node:crypto";
import { CoseError, decodeSign1, headerInt, headerText, type Sign1 } from "../../cose/sign1.js";
import { DidX509Error, resolveDidX509Key } from "./didx509.js";

export interface UvmEndorsements {
  did: string;
  feed: string;
  svn: string;
}

/** A trusted UVM issuer: DID and feed must match; `svn` is the minimum (an unsigned integer). */
export interface UvmRootOfTrust {
  readonly did: string;
  readonly feed: string;
  readonly svn: string;
}

/** A refusal; the message is what CCF reports. */
export class UvmEndorsementsError extends Error {}

const X5CHAIN = 33;
const CONTENT_TYPE_JSON = "application/json";

type Algorithm = { hash: string; family: "rsa-pss" | "ecdsa" };

/** COSE algorithms CCF accepts for UVM endorsements (`is_rsa_alg` / `is_ecdsa_alg`). */
const ALGORITHMS = new Map<number, Algorithm>([
  [-37, { hash: "sha256", family: "rsa-pss" }],
  [-38, { hash: "sha384", family: "rsa-pss" }],
  [-39, { hash: "sha512", family: "rsa-pss" }],
  [-7, { hash: "sha256", family: "ecdsa" }],
  [-35, { hash: "sha384", family: "ecdsa" }],
  [-36, { hash: "sha512", family: "ecdsa" }],
]);

interface ProtectedHeader {
  alg: number;
  contentType: string;
  x5chain: Uint8Array[];
  iss: string;
  feed: string;
}

function decode(raw: Uint8Array): Sign1 {
  try {
    return decodeSign1(raw);
  } catch (error) {
    if (!(error instanceof CoseError)) throw error;
    switch (error.kind) {
      case "NotTagged":
        throw new UvmEndorsementsError("Failed to parse COSE_Sign1 tag");
      case "NotAnArray":
        throw new UvmEndorsementsError("Failed to parse COSE_Sign1 outer array");
      case "BadProtectedHeader":
        throw new UvmEndorsementsError("Failed to decode protected header");
      default:
        // A message CCF would decode but whose signature it cannot check.
        throw new UvmEndorsementsError("Signature verification failed");
    }
  }
}

function protectedHeader(sign1: Sign1): ProtectedHeader {
  const map = sign1.protectedHeader;
  let alg: number | undefined;
  let contentType: string | undefined;
  let iss: string | undefined;
  let feed: string | undefined;
  try {
    alg = headerInt(map, 1);
    contentType = headerText(map, 3);
    iss = headerText(map, "iss");
    feed = headerText(map, "feed");
  } catch {
    throw new UvmEndorsementsError("Failed to decode protected header");
  }
  const x5chain: Uint8Array[] = [];
  const chain: unknown = map.get(X5CHAIN);
  if (chain instanceof Uint8Array) {
    x5chain.push(chain);
  } else if (Array.isArray(chain)) {
    for (const item of chain) {
      if (!(item instanceof Uint8Array))
        throw new UvmEndorsementsError("Next item in x5chain was not of type byte string");
      x5chain.push(item);
    }
    if (x5chain.length === 0)
      throw new UvmEndorsementsError("x5chain array length was 0 in COSE header");
  } else if (chain !== undefined) {
    throw new UvmEndorsementsError(
      "Value type of x5chain in COSE header is not array or byte string",
    );
  }
  return {
    alg: alg ?? 0,
    contentType: contentType ?? "",
    x5chain,
    iss: iss ?? "",
    feed: feed ?? "",
  };
}

function signatureIsValid(sign1: Sign1, algorithm: Algorithm, key: KeyObject): boolean {
  if (sign1.sigStructure === null) return false;
  try {
    if (algorithm.family === "rsa-pss") {
      if (key.asymmetricKeyType !== "rsa") return false;
      // COSE (RFC 8230 §2) fixes the PSS salt length to the hash length.
      const saltLength = createHash(algorithm.hash).digest().length;
      return verifySignature(
        algorithm.hash,
        sign1.sigStructure,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
        sign1.signature,
      );
    }
    if (key.asymmetricKeyType !== "ec") return false;
    return verifySignature(
      algorithm.hash,
      sign1.sigStructure,
      { key, dsaEncoding: "ieee-p1363" },
      sign1.signature,
    );
  } catch {
    return false;
  }
}

/** nlohmann::json's type names, which CCF's messages use. */
function jsonTypeName(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return "object";
  if (typeof value === "boolean") return "boolean";
  return typeof value;
}

const MAX_SIZE_T = 2n ** 64n - 1n;

/** std::from_chars into a size_t: leading decimal digits; undefined if none or out of range. */
function parseUnsigned(text: string): bigint | undefined {
  const digits = /^\d+/.exec(text)?.[0];
  if (digits === undefined) return undefined;
  const value = BigInt(digits);
  return value > MAX_SIZE_T ? undefined : value;
}

function readPayload(payload: Uint8Array): { svn: string; measurement: string } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch (error) {
    throw new UvmEndorsementsError(
      `[json.exception.parse_error.101] parse error: ${(error as Error).message}`,
    );
  }
  if (json !== null && (typeof json !== "object" || Array.isArray(json)))
    throw new UvmEndorsementsError(
      `[json.exception.type_error.305] cannot use operator[] with a string argument with ${jsonTypeName(json)}`,
    );
  const fields = (json ?? {}) as Record<string, unknown>;
  const measurement = fields["x-ms-sevsnpvm-launchmeasurement"];
  if (typeof measurement !== "string")
    throw new UvmEndorsementsError(
      `[json.exception.type_error.302] type must be string, but is ${jsonTypeName(measurement)}`,
    );
  const svn = fields["x-ms-sevsnpvm-guestsvn"];
  if (typeof svn === "string") {
    if (parseUnsigned(svn) === undefined)
      throw new UvmEndorsementsError(
        `Unable to parse sevsnpvm_guest_svn value ${svn} to unsigned in UVM endorsements payload`,
      );
    return { svn, measurement };
  }
  if (typeof svn === "number" && Number.isSafeInteger(svn) && svn >= 0)
    return { svn: String(svn), measurement };
  throw new UvmEndorsementsError(
    `Unexpected type ${jsonTypeName(svn)} for sevsnpvm_guest_svn in UVM endorsements payload, expected string or unsigned integer`,
  );
}

function matchesRoot(endorsements: UvmEndorsements, root: UvmRootOfTrust): boolean {
  const minimum = parseUnsigned(root.svn);
  if (minimum === undefined)
    throw new UvmEndorsementsError(
      `Unable to parse svn value ${root.svn} to unsigned in UVM root of trust`,
    );
  const svn = parseUnsigned(endorsements.svn);
  if (svn === undefined)
    throw new UvmEndorsementsError(
      `Unable to parse svn value ${endorsements.svn} to unsigned in UVM endorsements`,
    );
  return root.did === endorsements.did && root.feed === endorsements.feed && minimum <= svn;
}

/**
 * Verifies UVM endorsements against the report's launch measurement and the given roots of trust,
 * returning the endorsing DID, feed and SVN. Throws `UvmEndorsementsError`.
 */
export function verifyUvmEndorsements(
  raw: Uint8Array,
  measurement: Uint8Array,
  roots: readonly UvmRootOfTrust[],
): UvmEndorsements {
  const sign1 = decode(raw);
  const header = protectedHeader(sign1);

  const algorithm = ALGORITHMS.get(header.alg);
  if (!algorithm)
    throw new UvmEndorsementsError(
      `Signature algorithm ${header.alg} is not one of expected: RSA, ECDSA`,
    );

  let key: KeyObject;
  try {
    key = resolveDidX509Key(header.x5chain, header.iss);
  } catch (error) {
    if (error instanceof DidX509Error) throw new UvmEndorsementsError(error.message);
    throw error;
  }

  if (!signatureIsValid(sign1, algorithm, key))
    throw new UvmEndorsementsError("Signature verification failed");

  if (header.contentType !== CONTENT_TYPE_JSON)
    throw new UvmEndorsementsError(
      `Unexpected payload content type ${header.contentType}, expected ${CONTENT_TYPE_JSON}`,
    );

  const payload = readPayload(sign1.payload as Uint8Array);
  const attested = Buffer.from(measurement).toString("hex");
  if (payload.measurement !== attested)
    throw new UvmEndorsementsError(
      `Launch measurement in UVM endorsements payload ${payload.measurement} is not equal to UVM attestation measurement ${attested}`,
    );

  const endorsements: UvmEndorsements = { did: header.iss, feed: header.feed, svn: payload.svn };
  if (!roots.some((root) => matchesRoot(endorsements, root)))
    throw new UvmEndorsementsError(
      `UVM endorsements did ${endorsements.did}, feed ${endorsements.feed}, svn ${endorsements.svn} do not match any of the known UVM roots of trust`,
    );
  return endorsements;
}
