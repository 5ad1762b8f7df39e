/**
 * did:x509 resolution (https://github.com/microsoft/did-x509, method version 0) as CCF does it
 * with didx509cpp's `resolve_jwk(chain, did, ignore_time = true)` to find the key that signed UVM
 * endorsements:
 *
 * 1. the chain (leaf first, at least two certificates) must be a valid path to its last
 *    certificate, which is the trust anchor — checked strictly, validity periods ignored (UVM
 *    endorsements outlive their signing certificates);
 * 2. the DID must be `did:x509:0:<alg>:<fingerprint>::<policy>[::<policy>…]`, and the base64url
 *    fingerprint must be the hash of one of the chain's CA certificates (not the leaf);
 * 3. every policy must hold for the leaf: `subject` (key:value pairs with CN, L, ST/S, O, OU, C,
 *    STREET), `san` (dns, email, uri), `eku` (an OID), `fulcio-issuer`;
 * 4. the leaf's key usage, if present, must allow digitalSignature or keyAgreement, and its key
 *    must be RSA or EC P-256/P-384/P-521.
 *
 * Error messages are didx509cpp's, because CCF passes them through to the app.
 */
import { createHash, type KeyObject } from "node:crypto";
import { Certificate, CertificateError, KeyUsageFlags, pathProblem } from "./certificate.js";

export class DidX509Error extends Error {}

/** Subject keys the did:x509 spec names, and the attribute OIDs they stand for. */
const SUBJECT_KEYS: Record<string, string> = {
  CN: "2.5.4.3",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  C: "2.5.4.6",
  STREET: "2.5.4.9",
};

const FINGERPRINT_ALGORITHMS = new Set(["sha256", "sha384", "sha512"]);
const FULCIO_ISSUER_OID = "1.3.6.1.4.1.57264.1.1";

/** didx509cpp's url_unescape: `%XX` with two hex digits becomes that byte; anything else stays. */
function urlUnescape(value: string): Buffer {
  const out: number[] = [];
  const raw = Buffer.from(value, "utf8");
  const isHex = (b: number | undefined) =>
    b !== undefined &&
    ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x25 && i + 2 < raw.length && isHex(raw[i + 1]) && isHex(raw[i + 2])) {
      out.push(parseInt(String.fromCharCode(raw[i + 1]!, raw[i + 2]!), 16));
      i += 2;
    } else {
      out.push(raw[i]!);
    }
  }
  return Buffer.from(out);
}

const sameText = (bytes: Buffer, text: string) => bytes.equals(Buffer.from(text, "utf8"));

function checkPolicy(leaf: Certificate, policy: string): void {
  const parts = policy.split(":");
  if (parts.length < 2) throw new DidX509Error("invalid policy");
  const [name, ...args] = parts as [string, ...string[]];
  switch (name) {
    case "subject": {
      if (args.length % 2 !== 0) throw new DidX509Error("key-value pairs required");
      const seen = new Set<string>();
      for (let j = 0; j < args.length; j += 2) {
        // "S" is accepted for the state, as some issuers write it (and counts as ST).
        const key = args[j] === "S" ? "ST" : args[j]!;
        const value = urlUnescape(args[j + 1]!);
        if (seen.has(key)) throw new DidX509Error(`duplicate field '${key}'`);
        seen.add(key);
        const oid = SUBJECT_KEYS[key];
        const values = oid === undefined ? [] : leaf.subjectValues(oid);
        if (oid === undefined || values.length === 0)
          throw new DidX509Error(`unsupported subject key: '${key}'`);
        if (!values.some((v) => sameText(value, v)))
          throw new DidX509Error(`invalid subject key/value: ${key}=${value.toString("utf8")}`);
      }
      return;
    }
    case "san": {
      if (args.length !== 2) throw new DidX509Error("exactly one SAN type and value required");
      const [type, encoded] = args as [string, string];
      if (type !== "dns" && type !== "email" && type !== "uri")
        throw new DidX509Error(`unknown SAN type: ${type}`);
      const value = urlUnescape(encoded);
      if (!leaf.subjectAltNames().some((san) => san.type === type && sameText(value, san.value)))
        throw new DidX509Error(`SAN not found: ${value.toString("utf8")}`);
      return;
    }
    case "eku": {
      if (args.length !== 1) throw new DidX509Error("exactly one EKU required");
      const oid = args[0]!;
      if (!/^\d+(\.\d+)+$/.test(oid))
        throw new DidX509Error("OpenSSL error: missing object: unknown error");
      if (!leaf.extendedKeyUsage().includes(oid)) throw new DidX509Error(`EKU not found: ${oid}`);
      return;
    }
    case "fulcio-issuer": {
      if (args.length !== 1) throw new DidX509Error("excessive arguments to fulcio-issuer");
      const expected = Buffer.concat([Buffer.from("https://"), urlUnescape(args[0]!)]);
      const extension = leaf.extension(FULCIO_ISSUER_OID);
      if (!extension || !expected.equals(extension.value))
        throw new DidX509Error(`invalid fulcio-issuer: ${expected.toString("utf8")}`);
      return;
    }
    default:
      throw new DidX509Error(`unsupported did:x509 scheme '${name}'`);
  }
}

/** Checks the DID against a validated chain (didx509cpp's `verify(chain, did)`). */
function checkDid(chain: readonly Certificate[], did: string): void {
  const top = did.split("::");
  if (top.length <= 1) throw new DidX509Error("invalid DID string");
  const prefix = top[0]!.split(":");
  if (prefix.length < 5 || prefix[0] !== "did" || prefix[1] !== "x509")
    throw new DidX509Error("unsupported method/prefix");
  if (prefix[2] !== "0") throw new DidX509Error("unsupported did:x509 version");
  const [, , , algorithm, fingerprint] = prefix as [string, string, string, string, string];

  let pinned = false;
  for (const cert of chain.slice(1)) {
    if (!FINGERPRINT_ALGORITHMS.has(algorithm))
      throw new DidX509Error("unsupported fingerprint algorithm");
    if (createHash(algorithm).update(cert.der).digest("base64url") === fingerprint) {
      pinned = true;
      break;
    }
  }
  if (!pinned) throw new DidX509Error("invalid certificate fingerprint");

  for (const policy of top.slice(1)) checkPolicy(chain[0]!, policy);
}

/**
 * Resolves `did` against `chain` (DER certificates, leaf first) and returns the leaf's public key,
 * the DID document's verification method. Throws `DidX509Error`.
 */
export function resolveDidX509Key(chain: readonly Uint8Array[], did: string): KeyObject {
  if (chain.length === 0) throw new DidX509Error("no certificate chain");
  const certs = chain.map((der) => {
    try {
      return Certificate.parse(der);
    } catch (error) {
      if (error instanceof CertificateError) throw new DidX509Error(error.message);
      throw error;
    }
  });
  if (certs.length <= 1) throw new DidX509Error("certificate chain too short");

  const problem = pathProblem(certs, { strict: true });
  if (problem)
    throw new DidX509Error(
      `certificate chain verification failed: ${problem.reason} (depth: ${problem.depth})`,
    );

  checkDid(certs, did);

  const leaf = certs[0]!;
  const usage = leaf.keyUsage();
  if (
    usage !== undefined &&
    (usage & (KeyUsageFlags.digitalSignature | KeyUsageFlags.keyAgreement)) === 0
  )
    throw new DidX509Error("certificate key usage must include digital signature or key agreement");

  const key = leaf.publicKey;
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== "prime256v1" && curve !== "secp384r1" && curve !== "secp521r1")
      throw new DidX509Error("unsupported EC key curve");
  } else if (key.asymmetricKeyType !== "rsa") {
    throw new DidX509Error("unsupported key base id");
  }
  return key;
}
