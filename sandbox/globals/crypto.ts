/**
 * The host side of `ccf.crypto` (ccf-runtime.md §3.3), with the behaviour of CCF 6.x
 * (`src/js/extensions/ccf/crypto.cpp` and the `src/crypto` primitives it calls), on node:crypto.
 *
 * The prelude installs `ccf.crypto[name] = (...args) => host.crypto(name, ...args)` for every
 * key of `ccfCrypto`; arguments arrive as the marshal converts them (ArrayBuffer, primitives,
 * plain objects and arrays, `Opaque` for any other guest object). So every function here takes
 * `...args: unknown[]` and checks them as CCF's C functions do:
 * - the argument count first (TypeError "Passed N arguments, but expected M");
 * - byte arguments must be ArrayBuffers (TypeError "ArrayBuffer object expected", QuickJS's
 *   message for `JS_GetArrayBuffer`); strings are converted as QuickJS's ToString does, numbers as
 *   ToInt32 / ToUint32 / ToInt64, property reads on undefined/null throw TypeError;
 * - unsupported algorithm names and sizes are RangeErrors with CCF's messages;
 * - anything that fails inside the crypto library is CCF's `InternalError` ("Failed to sign: ...",
 *   "Failed to wrap key: ...", ...), thrown here as an Error whose `name` is "InternalError".
 *
 * Output formats are CCF's: PEM keys as SPKI ("PUBLIC KEY") and PKCS#8 ("PRIVATE KEY"); ECDSA
 * signatures in IEEE P1363 (r‖s); JWKs with exactly CCF's fields, keys in the order CCF's JSON
 * serialiser emits them (sorted), `kid` only when one was passed.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  X509Certificate,
  type KeyObject,
} from "node:crypto";
import { Opaque } from "../quickjs/marshal.js";
import { x509 } from "../x509.js";
import { Lru } from "../lru.js";

/** CCF's `JS_ThrowInternalError`: QuickJS's InternalError class, carried by name. */
export class InternalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InternalError";
  }
}

export type KeyPairPem = { privateKey: string; publicKey: string };
export type Jwk = { [field: string]: string };

// ---------------------------------------------------------------------------------------------
// Arguments, as QuickJS and CCF's helpers read them
// ---------------------------------------------------------------------------------------------

function expectArgs(args: unknown[], ...counts: number[]): void {
  if (!counts.includes(args.length)) {
    const expected = counts.join(" or ");
    throw new TypeError(`Passed ${args.length} arguments, but expected ${expected}`);
  }
}

/** `JS_GetArrayBuffer`: only an ArrayBuffer will do (a TypedArray arrives as `Opaque`). */
function bytesOf(value: unknown): Buffer {
  if (!(value instanceof ArrayBuffer)) throw new TypeError("ArrayBuffer object expected");
  return Buffer.from(value);
}

function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    !(value instanceof ArrayBuffer) &&
    !(value instanceof Opaque) &&
    !ArrayBuffer.isView(value)
  );
}

/** QuickJS's ToString, as CCF's `to_str` applies it to any argument. */
function toStr(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined || value === null || typeof value === "number") return String(value);
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value))
    return value.map((item) => (item === undefined || item === null ? "" : toStr(item))).join(",");
  if (value instanceof ArrayBuffer) return "[object ArrayBuffer]";
  if (value instanceof Opaque && value.description === "symbol")
    throw new TypeError("cannot convert symbol to string");
  return "[object Object]";
}

/** QuickJS's ToNumber, as `JS_ToInt32` / `JS_ToUint32` / `JS_ToInt64` start with. */
function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" || typeof value === "boolean" || value === null)
    return Number(value);
  if (Array.isArray(value)) return Number(toStr(value));
  if (value instanceof Opaque && (value.description === "symbol" || value.description === "bigint"))
    throw new TypeError(`cannot convert ${value.description} to number`);
  return NaN;
}

function toInt32(value: unknown): number {
  const n = toNumber(value);
  return Number.isFinite(n) ? Math.trunc(n) | 0 : 0;
}

function toUint32(value: unknown): number {
  const n = toNumber(value);
  return Number.isFinite(n) ? Math.trunc(n) >>> 0 : 0;
}

/** `JS_ToInt64` (saturating, NaN → 0), then the `size_t` → `int` narrowing that OpenSSL sees. */
function saltLengthOf(value: unknown): number {
  const n = toNumber(value);
  if (Number.isNaN(n)) return 0;
  let big: bigint;
  if (n >= 2 ** 63) big = 2n ** 63n - 1n;
  else if (n <= -(2 ** 63)) big = -(2n ** 63n);
  else big = BigInt(Math.trunc(n));
  return Number(BigInt.asIntN(32, big));
}

/** `JS_GetPropertyStr`: TypeError on undefined/null, undefined for what has no such property. */
function property(value: unknown, name: string): unknown {
  if (value === undefined || value === null)
    throw new TypeError(`cannot read property '${name}' of ${String(value)}`);
  if ((isPlainObject(value) || Array.isArray(value)) && Object.hasOwn(value, name))
    return (value as { [key: string]: unknown })[name];
  return undefined;
}

/** An optional label: used only when it is a non-empty ArrayBuffer (CCF ignores anything else). */
function labelOf(params: unknown): Buffer | undefined {
  const label = property(params, "label");
  return label instanceof ArrayBuffer && label.byteLength > 0 ? Buffer.from(label) : undefined;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return Uint8Array.from(bytes).buffer;
}

/** Runs library work; any failure becomes CCF's InternalError with the given prefix. */
function attempt<T>(prefix: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InternalError(`${prefix}${message}`, { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------
// PEM, keys, certificates
// ---------------------------------------------------------------------------------------------

interface PemBlock {
  label: string;
  text: string;
  der: Buffer | undefined;
}

/** PEM blocks, read line by line as OpenSSL's PEM reader does; `der` unset if base64 is bad. */
function pemBlocks(text: string): PemBlock[] {
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = /^-----BEGIN (.+)-----\s*$/.exec(lines[i]!);
    if (!begin) continue;
    const label = begin[1]!;
    const end = `-----END ${label}-----`;
    let j = i + 1;
    while (j < lines.length && lines[j]!.trimEnd() !== end) j++;
    if (j === lines.length) break;
    const body = lines.slice(i + 1, j).join("");
    const compact = body.replace(/[ \t]/g, "");
    const valid = /^[A-Za-z0-9+/]*={0,2}$/.test(compact) && compact.length % 4 === 0;
    blocks.push({
      label,
      text: `${lines.slice(i, j + 1).join("\n")}\n`,
      der: valid ? Buffer.from(compact, "base64") : undefined,
    });
    i = j;
  }
  return blocks;
}

/**
 * Parsed keys by PEM text. Apps pass the same keys again and again (a governance signing key,
 * a runtime's public key), and parsing dominated small signatures and wraps. KeyObjects are
 * immutable, and a PEM that fails to parse is never cached, so a hit answers as a miss would.
 */
const publicKeys = new Lru<string, KeyObject>(256);
const privateKeys = new Lru<string, KeyObject>(256);

/** `PEM_read_bio_PUBKEY`: the first SubjectPublicKeyInfo block ("PUBLIC KEY"). */
function publicKeyFromPem(pem: string): KeyObject {
  return publicKeys.getOrCompute(pem, () => {
    const block = pemBlocks(pem).find((b) => b.label === "PUBLIC KEY");
    if (!block?.der) throw new InternalError("could not parse PEM");
    return createPublicKey({ key: block.der, format: "der", type: "spki" });
  });
}

/** `PEM_read_bio_PrivateKey`: PKCS#8 or a traditional RSA/EC private key PEM. */
function privateKeyFromPem(pem: string): KeyObject {
  return privateKeys.getOrCompute(pem, () => {
    const labels = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"];
    if (!pemBlocks(pem).some((b) => labels.includes(b.label)))
      throw new InternalError("could not parse PEM");
    return createPrivateKey({ key: pem, format: "pem" });
  });
}

/** `PEM_read_bio_X509`: the first certificate block of a PEM text, or undefined. */
function certificateFromPem(pem: string): X509Certificate | undefined {
  const block = pemBlocks(pem).find(
    (b) => b.label === "CERTIFICATE" || b.label === "X509 CERTIFICATE",
  );
  if (!block?.der) return undefined;
  try {
    return new X509Certificate(block.der);
  } catch {
    return undefined;
  }
}

/** CCF's `split_x509_cert_bundle`: one piece per END line, leading whitespace trimmed. */
function splitCertBundle(text: string): string[] {
  const separator = "-----END CERTIFICATE-----";
  const pieces: string[] = [];
  let start = 0;
  let at = text.indexOf(separator);
  while (at !== -1) {
    while (start < at && /\s/.test(text[start]!)) start++;
    pieces.push(text.slice(start, at + separator.length));
    start = at + separator.length;
    at = text.indexOf(separator, start);
  }
  return pieces;
}

const HASHES: { [name: string]: string } = {
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

/** The curves CCF 6.x maps to JWK and P1363 (`curve_id_to_jwk_curve`): P-256 and P-384. */
const EC_CURVES: { [openssl: string]: { crv: string; size: number } } = {
  prime256v1: { crv: "P-256", size: 32 },
  secp384r1: { crv: "P-384", size: 48 },
};

function ecCurve(key: KeyObject): { crv: string; size: number } {
  if (key.asymmetricKeyType !== "ec") throw new InternalError("not an EC key");
  const name = key.asymmetricKeyDetails?.namedCurve ?? "";
  const curve = EC_CURVES[name];
  if (!curve) throw new InternalError(`Unknown OpenSSL curve ${name}`);
  return curve;
}

function requireRsa(key: KeyObject): void {
  if (key.asymmetricKeyType !== "rsa")
    throw new InternalError("Cannot construct RSAPublicKey_OpenSSL from non-RSA key");
}

function eddsaCurve(key: KeyObject): string {
  if (key.asymmetricKeyType === "ed25519") return "Ed25519";
  if (key.asymmetricKeyType === "x25519") return "X25519";
  throw new InternalError(`Unknown EdDSA curve ${key.asymmetricKeyType ?? ""}`);
}

function spkiPem(key: KeyObject): string {
  return key.export({ type: "spki", format: "pem" }) as string;
}

function pkcs8Pem(key: KeyObject): string {
  return key.export({ type: "pkcs8", format: "pem" }) as string;
}

/** P1363 (r‖s) → DER, as `ecdsa_sig_p1363_to_der` does: the first half is r, the rest s. */
function p1363ToDer(signature: Buffer): Buffer {
  const half = signature.length >> 1;
  const integer = (bytes: Buffer): Buffer => {
    let i = 0;
    while (i < bytes.length && bytes[i] === 0) i++;
    let body = bytes.subarray(i);
    if (body.length === 0 || body[0]! & 0x80) body = Buffer.concat([Buffer.of(0), body]);
    return Buffer.concat([Buffer.of(0x02), derLength(body.length), body]);
  };
  const content = Buffer.concat([
    integer(signature.subarray(0, half)),
    integer(signature.subarray(half)),
  ]);
  return Buffer.concat([Buffer.of(0x30), derLength(content.length), content]);
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return Buffer.of(0x80 | bytes.length, ...bytes);
}

// ---------------------------------------------------------------------------------------------
// sign / verifySignature / digest
// ---------------------------------------------------------------------------------------------

function sign(...args: unknown[]): ArrayBuffer {
  expectArgs(args, 3);
  const [algorithm, keyArg, dataArg] = args;
  const nameValue = property(algorithm, "name");
  const hashValue = property(algorithm, "hash");
  const name = toStr(nameValue);
  const key = toStr(keyArg);
  const data = bytesOf(dataArg);

  if (name === "EdDSA") {
    // EVP_DigestSign with no digest: Ed25519 for Ed25519 keys (other keys use their default).
    return attempt("Failed to sign with EdDSA pair: ", () =>
      toArrayBuffer(nodeSign(null, data, privateKeyFromPem(key))),
    );
  }

  const hashName = toStr(hashValue);
  const hash = HASHES[hashName];
  if (hash === undefined)
    throw new RangeError("Unsupported hash algorithm, supported: SHA-256, SHA-384, SHA-512");

  if (name === "ECDSA") {
    return attempt("Failed to sign: ", () => {
      const privateKey = privateKeyFromPem(key);
      ecCurve(privateKey);
      return toArrayBuffer(nodeSign(hash, data, { key: privateKey, dsaEncoding: "ieee-p1363" }));
    });
  }
  if (name === "RSA-PSS") {
    const saltLength = saltLengthOf(property(algorithm, "saltLength"));
    return attempt("Failed to sign: ", () => {
      const privateKey = privateKeyFromPem(key);
      if (privateKey.asymmetricKeyType !== "rsa" && privateKey.asymmetricKeyType !== "rsa-pss")
        throw new InternalError("RSA-PSS requires an RSA key");
      return toArrayBuffer(
        nodeSign(hash, data, {
          key: privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength,
        }),
      );
    });
  }
  if (name === "HMAC") {
    // The key is the UTF-8 encoding of the key string.
    return attempt("Failed to sign: ", () =>
      toArrayBuffer(createHmac(hash, Buffer.from(key, "utf8")).update(data).digest()),
    );
  }
  throw new RangeError("Unsupported signing algorithm, supported: RSA-PSS, ECDSA, EdDSA, HMAC");
}

function verifySignature(...args: unknown[]): boolean {
  expectArgs(args, 4);
  const [algorithm, keyArg, signatureArg, dataArg] = args;
  const signature = bytesOf(signatureArg);
  const data = bytesOf(dataArg);
  const nameValue = property(algorithm, "name");
  const hashValue = property(algorithm, "hash");
  const name = toStr(nameValue);
  const key = toStr(keyArg);

  if (name === "EdDSA") {
    try {
      return nodeVerify(null, data, publicKeyFromPem(key), signature);
    } catch (error) {
      throw new RangeError(`Failed to verify EdDSA signature: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  const hashName = toStr(hashValue);
  if (hashName !== "SHA-256")
    throw new RangeError("Unsupported hash algorithm, supported: SHA-256");
  if (name !== "RSA-PSS" && name !== "ECDSA")
    throw new RangeError("Unsupported signing algorithm, supported: RSA-PSS, ECDSA, EdDSA");

  return attempt("Failed to verify signature: ", () => {
    const sig = name === "ECDSA" ? p1363ToDer(signature) : signature;
    if (key.startsWith("-----BEGIN CERTIFICATE")) {
      // CCF's certificate verifier checks with the certificate's key as it is: a DER ECDSA
      // signature for EC keys, PKCS#1 v1.5 for RSA keys (whatever the algorithm's name).
      const certificate = certificateFromPem(key);
      if (!certificate) throw new InternalError("could not parse certificate");
      const publicKey = certificate.publicKey;
      if (publicKey.asymmetricKeyType === "ec")
        return nodeVerify("sha256", data, { key: publicKey, dsaEncoding: "der" }, sig);
      if (publicKey.asymmetricKeyType === "rsa")
        return nodeVerify(
          "sha256",
          data,
          { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
          sig,
        );
      throw new InternalError("unsupported public key type");
    }
    if (name === "ECDSA") {
      return nodeVerify("sha256", data, { key: publicKeyFromPem(key), dsaEncoding: "der" }, sig);
    }
    const saltLength = saltLengthOf(property(algorithm, "saltLength"));
    const publicKey = publicKeyFromPem(key);
    requireRsa(publicKey);
    return nodeVerify(
      "sha256",
      data,
      { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
      sig,
    );
  });
}

function digest(...args: unknown[]): ArrayBuffer {
  expectArgs(args, 2);
  if (toStr(args[0]) !== "SHA-256")
    throw new RangeError("unsupported digest algorithm, supported: SHA-256");
  const data = bytesOf(args[1]);
  return toArrayBuffer(createHash("sha256").update(data).digest());
}

// ---------------------------------------------------------------------------------------------
// Key generation
// ---------------------------------------------------------------------------------------------

/** Above this, signing fails in CCF anyway (2048-byte signature buffer); refuse early. */
const MAX_RSA_BITS = 16384;

function generateAesKey(...args: unknown[]): ArrayBuffer {
  expectArgs(args, 1);
  const size = toInt32(args[0]);
  if (size !== 128 && size !== 192 && size !== 256)
    throw new RangeError("invalid key size (not one of 128, 192, 256)");
  return toArrayBuffer(randomBytes(size / 8));
}

function keyPairPem(pair: { privateKey: KeyObject; publicKey: KeyObject }): KeyPairPem {
  return { privateKey: pkcs8Pem(pair.privateKey), publicKey: spkiPem(pair.publicKey) };
}

function generateRsaKeyPair(...args: unknown[]): KeyPairPem {
  expectArgs(args, 1, 2);
  const size = toUint32(args[0]);
  const exponent = args.length === 2 ? toUint32(args[1]) : 65537;
  return attempt("Failed to generate RSA key pair: ", () => {
    if (size > MAX_RSA_BITS) throw new InternalError(`key size too large (${size})`);
    return keyPairPem(
      generateKeyPairSync("rsa", { modulusLength: size, publicExponent: exponent }),
    );
  });
}

/** `generateEcdsaKeyPair` curve names → OpenSSL's. */
const ECDSA_CURVES: { [curve: string]: string } = {
  secp256r1: "prime256v1",
  secp384r1: "secp384r1",
};

function generateEcdsaKeyPair(...args: unknown[]): KeyPairPem {
  expectArgs(args, 1);
  const curve = toStr(args[0]);
  const namedCurve = ECDSA_CURVES[curve];
  if (namedCurve === undefined)
    throw new RangeError("Unsupported curve id, supported: secp256r1, secp384r1");
  return attempt("Failed to generate ECDSA key pair: ", () =>
    keyPairPem(generateKeyPairSync("ec", { namedCurve })),
  );
}

function generateEddsaKeyPair(...args: unknown[]): KeyPairPem {
  expectArgs(args, 1);
  const curve = toStr(args[0]);
  if (curve === "curve25519")
    return attempt("Failed to generate EdDSA key pair: ", () =>
      keyPairPem(generateKeyPairSync("ed25519")),
    );
  if (curve === "x25519")
    return attempt("Failed to generate EdDSA key pair: ", () =>
      keyPairPem(generateKeyPairSync("x25519")),
    );
  throw new RangeError("Unsupported curve id, supported: curve25519, x25519");
}

// ---------------------------------------------------------------------------------------------
// Key wrapping
// ---------------------------------------------------------------------------------------------

/** RFC 5649's alternative initial value (the default for OpenSSL's *-wrap-pad ciphers). */
const KWP_IV = Buffer.from("a65959a6", "hex");

/**
 * The AES key CCF's `KeyAesGcm_OpenSSL` makes of raw bytes: AES-256 from 32 bytes or more,
 * AES-192 from 24, AES-128 from 16, each using the leading bytes; fewer than 16 is refused.
 */
function kwpCipher(key: Buffer): { cipher: string; key: Buffer } {
  const bits = key.length * 8;
  for (const size of [256, 192, 128])
    if (bits >= size) return { cipher: `id-aes${size}-wrap-pad`, key: key.subarray(0, size / 8) };
  throw new InternalError(`Need at least 128 bits, only have ${bits}`);
}

function aesKwpWrap(key: Buffer, plain: Buffer): Buffer {
  const aes = kwpCipher(key);
  const cipher = createCipheriv(aes.cipher, aes.key, KWP_IV);
  return Buffer.concat([cipher.update(plain), cipher.final()]);
}

function aesKwpUnwrap(key: Buffer, wrapped: Buffer): Buffer {
  const aes = kwpCipher(key);
  const decipher = createDecipheriv(aes.cipher, aes.key, KWP_IV);
  return Buffer.concat([decipher.update(wrapped), decipher.final()]);
}

/** An RSA public key from PEM bytes (SPKI), or DER (SPKI, then PKCS#1) when not PEM. */
function rsaPublicKeyFromBytes(bytes: Buffer): KeyObject {
  if (bytes.length === 0) throw new InternalError("empty PEM");
  let key: KeyObject;
  const text = bytes.toString("latin1");
  if (text.includes("-----BEGIN")) {
    key = publicKeyFromPem(text);
  } else {
    try {
      key = createPublicKey({ key: bytes, format: "der", type: "spki" });
    } catch {
      key = createPublicKey({ key: bytes, format: "der", type: "pkcs1" });
    }
  }
  requireRsa(key);
  return key;
}

function rsaPrivateKeyFromBytes(bytes: Buffer): KeyObject {
  if (bytes.length === 0) throw new InternalError("empty PEM");
  return privateKeyFromPem(bytes.toString("latin1"));
}

function oaepWrap(publicKey: KeyObject, plain: Buffer, label: Buffer | undefined): Buffer {
  return publicEncrypt(
    {
      key: publicKey,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: "sha256",
      ...(label ? { oaepLabel: label } : {}),
    },
    plain,
  );
}

function oaepUnwrap(privateKey: KeyObject, wrapped: Buffer, label: Buffer | undefined): Buffer {
  return privateDecrypt(
    {
      key: privateKey,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: "sha256",
      ...(label ? { oaepLabel: label } : {}),
    },
    wrapped,
  );
}

function wrapKey(...args: unknown[]): ArrayBuffer {
  expectArgs(args, 3);
  const key = bytesOf(args[0]);
  const wrappingKey = bytesOf(args[1]);
  const params = args[2];
  const algorithm = toStr(property(params, "name"));
  if (algorithm === "RSA-OAEP") {
    const label = labelOf(params);
    return attempt("Failed to wrap key: ", () =>
      toArrayBuffer(oaepWrap(rsaPublicKeyFromBytes(wrappingKey), key, label)),
    );
  }
  if (algorithm === "AES-KWP") {
    return attempt("Failed to wrap key: ", () => toArrayBuffer(aesKwpWrap(wrappingKey, key)));
  }
  if (algorithm === "RSA-OAEP-AES-KWP") {
    const aesKeySize = toInt32(property(params, "aesKeySize"));
    const label = labelOf(params);
    return attempt("Failed to wrap key: ", () => {
      const publicKey = rsaPublicKeyFromBytes(wrappingKey);
      if (aesKeySize !== 128 && aesKeySize !== 192 && aesKeySize !== 256)
        throw new InternalError("invalid key size");
      const ephemeral = randomBytes(aesKeySize / 8);
      try {
        return toArrayBuffer(
          Buffer.concat([oaepWrap(publicKey, ephemeral, label), aesKwpWrap(ephemeral, key)]),
        );
      } finally {
        ephemeral.fill(0);
      }
    });
  }
  throw new RangeError(
    "unsupported key wrapping algorithm, supported: RSA-OAEP, AES-KWP, RSA-OAEP-AES-KWP",
  );
}

function unwrapKey(...args: unknown[]): ArrayBuffer {
  expectArgs(args, 3);
  const wrapped = bytesOf(args[0]);
  const unwrappingKey = bytesOf(args[1]);
  const params = args[2];
  const algorithm = toStr(property(params, "name"));
  if (algorithm === "RSA-OAEP") {
    const label = labelOf(params);
    return attempt("Failed to unwrap key: ", () =>
      toArrayBuffer(oaepUnwrap(rsaPrivateKeyFromBytes(unwrappingKey), wrapped, label)),
    );
  }
  if (algorithm === "AES-KWP") {
    return attempt("Failed to unwrap key: ", () =>
      toArrayBuffer(aesKwpUnwrap(unwrappingKey, wrapped)),
    );
  }
  if (algorithm === "RSA-OAEP-AES-KWP") {
    toInt32(property(params, "aesKeySize")); // read (and type-checked) but not needed to unwrap
    const label = labelOf(params);
    return attempt("Failed to unwrap key: ", () => {
      const privateKey = rsaPrivateKeyFromBytes(unwrappingKey);
      const modulusBytes = Math.floor((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
      if (wrapped.length <= modulusBytes) throw new InternalError("not enough ciphertext");
      const ephemeral = oaepUnwrap(privateKey, wrapped.subarray(0, modulusBytes), label);
      try {
        if (![16, 24, 32].includes(ephemeral.length)) throw new InternalError("invalid key size");
        return toArrayBuffer(aesKwpUnwrap(ephemeral, wrapped.subarray(modulusBytes)));
      } finally {
        ephemeral.fill(0);
      }
    });
  }
  throw new RangeError(
    "unsupported key unwrapping algorithm, supported: RSA-OAEP, AES-KWP, RSA-OAEP-AES-KWP",
  );
}

// ---------------------------------------------------------------------------------------------
// X.509
// ---------------------------------------------------------------------------------------------

/**
 * Whether the first certificate of a PEM text parses (CCF 6.x builds `tls::CA` from the text,
 * which reads one certificate; an empty text builds an empty CA and counts as valid).
 */
function isValidX509CertBundle(...args: unknown[]): boolean {
  expectArgs(args, 1);
  const pem = toStr(args[0]);
  if (pem.length === 0) return true;
  return certificateFromPem(pem) !== undefined;
}

/** Critical extensions OpenSSL's verifier understands; any other critical one fails the chain. */
const SUPPORTED_CRITICAL = new Set([
  "2.16.840.1.113730.1.1", // netscape cert type
  "2.5.29.15", // key usage
  "2.5.29.17", // subject alt name
  "2.5.29.19", // basic constraints
  "2.5.29.32", // certificate policies
  "2.5.29.37", // extended key usage
  "1.3.6.1.5.5.7.1.14", // proxy cert info
  "2.5.29.30", // name constraints
  "2.5.29.36", // policy constraints
  "2.5.29.33", // policy mappings
  "2.5.29.54", // inhibit any policy
]);

/** OpenSSL's default verification depth, and a bound on the links a path search examines. */
const MAX_CHAIN_DEPTH = 100;
const MAX_CHAIN_LINKS = 10_000;

interface ChainCert {
  node: X509Certificate;
  der: Buffer;
  parsed: x509.X509Certificate;
}

function chainCert(node: X509Certificate): ChainCert {
  return { node, der: node.raw, parsed: new x509.X509Certificate(node.raw) };
}

/** The version field of a DER certificate (1 when absent). */
function certificateVersion(der: Buffer): number {
  const skipHeader = (at: number): number => {
    const length = der[at + 1] ?? 0;
    return at + 2 + (length & 0x80 ? length & 0x7f : 0);
  };
  let at = skipHeader(skipHeader(0)); // Certificate, TBSCertificate
  if (der[at] !== 0xa0) return 1;
  at = skipHeader(at);
  return der[at] === 0x02 && der[at + 1] === 1 ? (der[at + 2] ?? 0) + 1 : 1;
}

/** OpenSSL's `X509_check_ca`, as its chain check uses it for every issuer certificate. */
function actsAsCa(cert: ChainCert): boolean {
  const keyUsage = cert.parsed.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && !(keyUsage.usages & x509.KeyUsageFlags.keyCertSign)) return false;
  const basic = cert.parsed.getExtension(x509.BasicConstraintsExtension);
  if (basic) return basic.ca;
  if (certificateVersion(cert.der) === 1 && cert.node.checkIssued(cert.node)) return true;
  return keyUsage !== null;
}

/** The checks OpenSSL's `X509_verify_cert` makes of a built path (leaf first, anchor last). */
function pathIsValid(path: ChainCert[], now: number): boolean {
  let intermediates = 0;
  for (let i = 0; i < path.length; i++) {
    const cert = path[i]!;
    if (cert.parsed.notBefore.getTime() > now || cert.parsed.notAfter.getTime() < now) return false;
    for (const extension of cert.parsed.extensions)
      if (extension.critical && !SUPPORTED_CRITICAL.has(extension.type)) return false;
    if (i === 0) continue;
    if (!actsAsCa(cert)) return false;
    const basic = cert.parsed.getExtension(x509.BasicConstraintsExtension);
    if (i > 1 && basic?.pathLength !== undefined && intermediates > basic.pathLength) return false;
    if (!cert.node.checkIssued(cert.node)) intermediates++;
  }
  return true;
}

/**
 * Builds a path from the target to any trusted certificate (X509_V_FLAG_PARTIAL_CHAIN: an
 * intermediate, or the target itself, may be the anchor), trusted issuers first, then the
 * untrusted ones in any order, and accepts the first path that passes `pathIsValid`.
 */
function chainIsValid(target: ChainCert, untrusted: ChainCert[], trusted: ChainCert[]): boolean {
  const now = Date.now();
  const isTrusted = (cert: ChainCert) => trusted.some((t) => t.der.equals(cert.der));
  const path: ChainCert[] = [target];
  // Candidate links examined: bounds the search however many look-alike certificates come in.
  let budget = MAX_CHAIN_LINKS;
  const search = (current: ChainCert): boolean => {
    if (isTrusted(current)) return pathIsValid(path, now);
    if (path.length > MAX_CHAIN_DEPTH) return false;
    for (const candidate of [...trusted, ...untrusted]) {
      if (candidate.der.equals(current.der) || path.includes(candidate)) continue;
      if (--budget < 0) return false;
      if (!current.node.checkIssued(candidate.node)) continue;
      if (!current.node.verify(candidate.node.publicKey)) continue;
      path.push(candidate);
      if (search(candidate)) return true;
      path.pop();
    }
    return false;
  };
  return search(target);
}

function isValidX509CertChain(...args: unknown[]): boolean {
  expectArgs(args, 2);
  const chainText = toStr(args[0]);
  const trustedText = toStr(args[1]);
  const chainPems = splitCertBundle(chainText);
  const trustedPems = splitCertBundle(trustedText);
  if (chainPems.length === 0 || trustedPems.length === 0) return false;

  // The target goes through CCF's certificate verifier, which throws (InternalError) when the
  // certificate cannot be read or its key is neither EC nor RSA.
  const targetNode = certificateFromPem(chainPems[0]!);
  if (!targetNode) throw new InternalError("isValidX509Chain failed: could not parse certificate");
  const keyType = targetNode.publicKey.asymmetricKeyType;
  if (keyType !== "ec" && keyType !== "rsa")
    throw new InternalError("isValidX509Chain failed: unsupported public key type");

  try {
    const read = (pem: string): ChainCert => {
      const node = certificateFromPem(pem);
      if (!node) throw new Error("could not parse certificate");
      return chainCert(node);
    };
    const target = chainCert(targetNode);
    const untrusted = chainPems.slice(1).map(read);
    const trusted = trustedPems.map(read);
    return chainIsValid(target, untrusted, trusted);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// JWK ⇄ PEM
// ---------------------------------------------------------------------------------------------

/** A JWK as CCF's JSON serialiser writes it: the given fields plus `kid`, keys sorted. */
function jwkOut(fields: Jwk, kid: string | undefined): Jwk {
  const all: Jwk = kid === undefined ? fields : { ...fields, kid };
  const out: Jwk = {};
  for (const name of Object.keys(all).sort()) out[name] = all[name]!;
  return out;
}

function exportJwk(key: KeyObject): Jwk {
  return key.export({ format: "jwk" }) as Jwk;
}

function pick(jwk: Jwk, names: string[]): Jwk {
  const out: Jwk = {};
  for (const name of names) {
    const value = jwk[name];
    if (typeof value !== "string") throw new InternalError(`missing JWK field ${name}`);
    out[name] = value;
  }
  return out;
}

function pemToJwkArgs(args: unknown[]): { pem: string; kid: string | undefined } {
  expectArgs(args, 1, 2);
  const pem = toStr(args[0]);
  return { pem, kid: args.length === 2 ? toStr(args[1]) : undefined };
}

function pemToJwkFunction(convert: (pem: string) => Jwk) {
  return (...args: unknown[]): Jwk => {
    const { pem, kid } = pemToJwkArgs(args);
    return jwkOut(
      attempt("Failed to convert pem to jwk: ", () => convert(pem)),
      kid,
    );
  };
}

const pubPemToJwk = pemToJwkFunction((pem) => {
  const key = publicKeyFromPem(pem);
  const { crv } = ecCurve(key);
  return { ...pick(exportJwk(key), ["x", "y"]), crv, kty: "EC" };
});

const pemToJwk = pemToJwkFunction((pem) => {
  const key = privateKeyFromPem(pem);
  const { crv } = ecCurve(key);
  return { ...pick(exportJwk(key), ["x", "y", "d"]), crv, kty: "EC" };
});

const pubRsaPemToJwk = pemToJwkFunction((pem) => {
  const key = publicKeyFromPem(pem);
  requireRsa(key);
  return { ...pick(exportJwk(key), ["n", "e"]), kty: "RSA" };
});

const rsaPemToJwk = pemToJwkFunction((pem) => {
  const key = privateKeyFromPem(pem);
  requireRsa(key);
  const fields = ["n", "e", "d", "p", "q", "dp", "dq", "qi"];
  return { ...pick(exportJwk(key), fields), kty: "RSA" };
});

const pubEddsaPemToJwk = pemToJwkFunction((pem) => {
  const key = publicKeyFromPem(pem);
  const crv = eddsaCurve(key);
  return { ...pick(exportJwk(key), ["x"]), crv, kty: "OKP" };
});

const eddsaPemToJwk = pemToJwkFunction((pem) => {
  const key = privateKeyFromPem(pem);
  const crv = eddsaCurve(key);
  return { ...pick(exportJwk(key), ["x", "d"]), crv, kty: "OKP" };
});

/**
 * The JWK argument as CCF reads it (JSON.stringify, then a typed parse): an object whose
 * required fields are strings and whose optional `kid` / `x5c` have the right types.
 */
function jwkIn(value: unknown, kty: string, required: string[]): Jwk {
  if (!isPlainObject(value)) throw new InternalError("JWK must be a JSON object");
  const out: Jwk = {};
  for (const name of ["kty", ...required]) {
    const field = value[name];
    if (typeof field !== "string") throw new InternalError(`missing or invalid JWK field ${name}`);
    out[name] = field;
  }
  if (value.kid !== undefined && typeof value.kid !== "string")
    throw new InternalError("invalid JWK field kid");
  const x5c = value.x5c;
  if (x5c !== undefined && !(Array.isArray(x5c) && x5c.every((c) => typeof c === "string")))
    throw new InternalError("invalid JWK field x5c");
  if (!["EC", "RSA", "OKP"].includes(out.kty!))
    throw new InternalError(`invalid JWK key type ${out.kty}`);
  if (out.kty !== kty) throw new InternalError(`Cannot construct key from non-${kty} JWK`);
  return out;
}

/** Base64url field bytes (no padding required; anything outside the alphabet is refused). */
function b64url(jwk: Jwk, name: string): Buffer {
  const text = jwk[name]!;
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new InternalError(`invalid base64url ${name}`);
  return Buffer.from(text.replace(/=+$/, ""), "base64url");
}

/** An EC JWK with its coordinates (and d) left-padded to the curve size, as numbers are. */
function ecJwk(value: unknown, fields: string[]): Jwk {
  const jwk = jwkIn(value, "EC", ["crv", ...fields]);
  const curve = Object.values(EC_CURVES).find((c) => c.crv === jwk.crv);
  if (!curve) throw new InternalError(`Unknown JWK curve ${jwk.crv}`);
  const out: Jwk = { kty: "EC", crv: curve.crv };
  for (const name of fields) {
    const bytes = b64url(jwk, name);
    if (bytes.length > curve.size) throw new InternalError(`JWK field ${name} is too long`);
    out[name] = Buffer.concat([Buffer.alloc(curve.size - bytes.length), bytes]).toString(
      "base64url",
    );
  }
  return out;
}

function rsaJwk(value: unknown, fields: string[]): Jwk {
  const jwk = jwkIn(value, "RSA", fields);
  const out: Jwk = { kty: "RSA" };
  for (const name of fields) out[name] = b64url(jwk, name).toString("base64url");
  return out;
}

/** DER prefixes of Ed25519 / X25519 keys, followed by the 32 raw key bytes. */
const OKP_PREFIXES: { [crv: string]: { spki: string; pkcs8: string } } = {
  Ed25519: { spki: "302a300506032b6570032100", pkcs8: "302e020100300506032b657004220420" },
  X25519: { spki: "302a300506032b656e032100", pkcs8: "302e020100300506032b656e04220420" },
};

function okpKey(value: unknown, isPrivate: boolean): KeyObject {
  const jwk = jwkIn(value, "OKP", isPrivate ? ["crv", "x", "d"] : ["crv", "x"]);
  const prefixes = OKP_PREFIXES[jwk.crv!];
  if (!prefixes) throw new InternalError(`Unknown JWK EdDSA curve ${jwk.crv}`);
  const raw = b64url(jwk, isPrivate ? "d" : "x");
  if (raw.length !== 32) throw new InternalError("invalid raw key length");
  if (isPrivate) {
    const der = Buffer.concat([Buffer.from(prefixes.pkcs8, "hex"), raw]);
    return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  }
  const der = Buffer.concat([Buffer.from(prefixes.spki, "hex"), raw]);
  return createPublicKey({ key: der, format: "der", type: "spki" });
}

function jwkToPemFunction(convert: (jwk: unknown) => string) {
  return (...args: unknown[]): string => {
    expectArgs(args, 1);
    return attempt("Failed to convert jwk to pem ", () => convert(args[0]));
  };
}

const pubJwkToPem = jwkToPemFunction((jwk) =>
  spkiPem(createPublicKey({ key: ecJwk(jwk, ["x", "y"]), format: "jwk" })),
);

const jwkToPem = jwkToPemFunction((jwk) =>
  pkcs8Pem(createPrivateKey({ key: ecJwk(jwk, ["x", "y", "d"]), format: "jwk" })),
);

const pubRsaJwkToPem = jwkToPemFunction((jwk) =>
  spkiPem(createPublicKey({ key: rsaJwk(jwk, ["n", "e"]), format: "jwk" })),
);

const rsaJwkToPem = jwkToPemFunction((jwk) =>
  pkcs8Pem(
    createPrivateKey({
      key: rsaJwk(jwk, ["n", "e", "d", "p", "q", "dp", "dq", "qi"]),
      format: "jwk",
    }),
  ),
);

const pubEddsaJwkToPem = jwkToPemFunction((jwk) => spkiPem(okpKey(jwk, false)));

const eddsaJwkToPem = jwkToPemFunction((jwk) => pkcs8Pem(okpKey(jwk, true)));

// ---------------------------------------------------------------------------------------------

/** Every function CCF 6.x installs on `ccf.crypto`, by its name there. */
export const ccfCrypto = {
  sign,
  verifySignature,
  digest,
  generateAesKey,
  generateRsaKeyPair,
  generateEcdsaKeyPair,
  generateEddsaKeyPair,
  wrapKey,
  unwrapKey,
  isValidX509CertBundle,
  isValidX509CertChain,
  pubPemToJwk,
  pemToJwk,
  pubRsaPemToJwk,
  rsaPemToJwk,
  pubEddsaPemToJwk,
  eddsaPemToJwk,
  pubJwkToPem,
  jwkToPem,
  pubRsaJwkToPem,
  rsaJwkToPem,
  pubEddsaJwkToPem,
  eddsaJwkToPem,
} satisfies { [name: string]: (...args: unknown[]) => unknown };

export type CcfCryptoFunction = keyof typeof ccfCrypto;
