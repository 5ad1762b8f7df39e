/**
 * `ccf.crypto` host functions, called as the interpreter calls them (marshalled arguments), and
 * every output checked with an independent implementation: node:crypto for signatures, digests
 * and key wrapping, jose for JWKs, certificates made with @peculiar/x509.
 */
import assert from "node:assert/strict";
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  webcrypto,
} from "node:crypto";
import * as jose from "jose";
import { Opaque } from "../quickjs/marshal.js";
import { x509 } from "../x509.js";
import { ccfCrypto, InternalError, type Jwk, type KeyPairPem } from "./crypto.js";

const ab = (bytes: Uint8Array | string): ArrayBuffer =>
  Uint8Array.from(typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes).buffer;
const buf = (value: unknown): Buffer => {
  assert.ok(value instanceof ArrayBuffer, "expected an ArrayBuffer");
  return Buffer.from(value);
};
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

/** Asserts a call throws the given class (and, for InternalError, that name) and message. */
function throwsLike(
  call: () => unknown,
  kind: typeof TypeError | typeof RangeError | typeof InternalError,
  message?: RegExp,
): void {
  assert.throws(call, (error: unknown) => {
    assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
    if (kind === InternalError) assert.equal((error as Error).name, "InternalError");
    else assert.equal((error as Error).constructor, kind);
    if (message) assert.match((error as Error).message, message);
    return true;
  });
}

const data = ab("the quick brown fox");

// Key material made once for the whole suite (RSA generation is the slow part).
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const rsaPem = {
  privateKey: rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  publicKey: rsa.publicKey.export({ type: "spki", format: "pem" }) as string,
};
const p256 = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const p256Pem = {
  privateKey: p256.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  publicKey: p256.publicKey.export({ type: "spki", format: "pem" }) as string,
};
const ed = generateKeyPairSync("ed25519");
const edPem = {
  privateKey: ed.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  publicKey: ed.publicKey.export({ type: "spki", format: "pem" }) as string,
};

/** What jose makes of a PEM key (WebCrypto import, JWK export with jose's field clean-up). */
async function joseJwk(pem: string, alg: string): Promise<jose.JWK> {
  const key = pem.includes("PRIVATE KEY")
    ? await jose.importPKCS8(pem, alg, { extractable: true })
    : await jose.importSPKI(pem, alg, { extractable: true });
  return jose.exportJWK(key);
}

describe("ccf.crypto (host)", () => {
  it("exposes every function CCF 6.x installs on ccf.crypto", () => {
    assert.deepEqual(Object.keys(ccfCrypto).sort(), [
      "digest",
      "eddsaJwkToPem",
      "eddsaPemToJwk",
      "generateAesKey",
      "generateEcdsaKeyPair",
      "generateEddsaKeyPair",
      "generateRsaKeyPair",
      "isValidX509CertBundle",
      "isValidX509CertChain",
      "jwkToPem",
      "pemToJwk",
      "pubEddsaJwkToPem",
      "pubEddsaPemToJwk",
      "pubJwkToPem",
      "pubPemToJwk",
      "pubRsaJwkToPem",
      "pubRsaPemToJwk",
      "rsaJwkToPem",
      "rsaPemToJwk",
      "sign",
      "unwrapKey",
      "verifySignature",
      "wrapKey",
    ]);
  });

  describe("digest", () => {
    it("computes SHA-256 as node does", () => {
      const out = buf(ccfCrypto.digest("SHA-256", data));
      assert.deepEqual(out, createHash("sha256").update(Buffer.from(data)).digest());
      assert.deepEqual(
        buf(ccfCrypto.digest("SHA-256", new ArrayBuffer(0))).toString("hex"),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      );
    });

    it("supports only SHA-256 (RangeError) and only ArrayBuffer data (TypeError)", () => {
      throwsLike(() => ccfCrypto.digest("SHA-384", data), RangeError, /supported: SHA-256/);
      throwsLike(() => ccfCrypto.digest("SHA-512", data), RangeError);
      throwsLike(() => ccfCrypto.digest("SHA-256", new Opaque("object")), TypeError, /ArrayBuffer/);
      throwsLike(() => ccfCrypto.digest("SHA-256", "text"), TypeError, /ArrayBuffer/);
      throwsLike(() => ccfCrypto.digest("SHA-256"), TypeError, /Passed 1 arguments/);
    });
  });

  describe("key generation", () => {
    it("generates AES keys of 128, 192 and 256 bits, and refuses other sizes", () => {
      for (const bits of [128, 192, 256])
        assert.equal(buf(ccfCrypto.generateAesKey(bits)).length, bits / 8);
      assert.equal(buf(ccfCrypto.generateAesKey("256")).length, 32); // ToInt32, as QuickJS
      assert.notDeepEqual(buf(ccfCrypto.generateAesKey(256)), buf(ccfCrypto.generateAesKey(256)));
      for (const bad of [0, 64, 512, 255, undefined, "big"])
        throwsLike(() => ccfCrypto.generateAesKey(bad), RangeError, /128, 192, 256/);
      throwsLike(() => ccfCrypto.generateAesKey(), TypeError, /Passed 0 arguments/);
    });

    it("generates RSA key pairs as PKCS#8 / SPKI PEM, with the requested exponent", () => {
      const pair = ccfCrypto.generateRsaKeyPair(2048) as KeyPairPem;
      assert.match(pair.privateKey, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.match(pair.publicKey, /^-----BEGIN PUBLIC KEY-----\n/);
      const priv = createPrivateKey(pair.privateKey);
      assert.equal(priv.asymmetricKeyDetails?.modulusLength, 2048);
      assert.equal(priv.asymmetricKeyDetails?.publicExponent, 65537n);
      assert.equal(
        createPublicKey(priv).export({ type: "spki", format: "pem" }),
        pair.publicKey,
        "the public key belongs to the private key",
      );
      const withExponent = ccfCrypto.generateRsaKeyPair(2048, 3) as KeyPairPem;
      assert.equal(
        createPublicKey(withExponent.publicKey).asymmetricKeyDetails?.publicExponent,
        3n,
      );
      throwsLike(() => ccfCrypto.generateRsaKeyPair(2048, 4), InternalError, /RSA key pair/);
      throwsLike(() => ccfCrypto.generateRsaKeyPair(256), InternalError, /RSA key pair/);
      throwsLike(() => ccfCrypto.generateRsaKeyPair(), TypeError, /expected 1 or 2/);
    });

    it("generates ECDSA key pairs on secp256r1 and secp384r1 only", () => {
      for (const [curve, named] of [
        ["secp256r1", "prime256v1"],
        ["secp384r1", "secp384r1"],
      ]) {
        const pair = ccfCrypto.generateEcdsaKeyPair(curve) as KeyPairPem;
        assert.match(pair.privateKey, /^-----BEGIN PRIVATE KEY-----\n/);
        const pub = createPublicKey(pair.publicKey);
        assert.equal(pub.asymmetricKeyDetails?.namedCurve, named);
        assert.deepEqual(
          createPublicKey(createPrivateKey(pair.privateKey)).export({ format: "jwk" }),
          pub.export({ format: "jwk" }),
        );
      }
      for (const bad of ["secp256k1", "secp521r1", "P-256", ""])
        throwsLike(() => ccfCrypto.generateEcdsaKeyPair(bad), RangeError, /secp256r1, secp384r1/);
    });

    it("generates EdDSA key pairs for curve25519 (Ed25519) and x25519", () => {
      const ed25519 = ccfCrypto.generateEddsaKeyPair("curve25519") as KeyPairPem;
      assert.equal(createPrivateKey(ed25519.privateKey).asymmetricKeyType, "ed25519");
      assert.equal(createPublicKey(ed25519.publicKey).asymmetricKeyType, "ed25519");
      const x25519 = ccfCrypto.generateEddsaKeyPair("x25519") as KeyPairPem;
      assert.equal(createPrivateKey(x25519.privateKey).asymmetricKeyType, "x25519");
      throwsLike(() => ccfCrypto.generateEddsaKeyPair("ed448"), RangeError, /curve25519, x25519/);
    });
  });

  describe("sign and verifySignature", () => {
    it("signs ECDSA in IEEE P1363 (r||s), verified by node", () => {
      const sig = buf(ccfCrypto.sign({ name: "ECDSA", hash: "SHA-256" }, p256Pem.privateKey, data));
      assert.equal(sig.length, 64);
      assert.ok(
        nodeVerify(
          "sha256",
          Buffer.from(data),
          { key: p256.publicKey, dsaEncoding: "ieee-p1363" },
          sig,
        ),
      );
      const p384 = ccfCrypto.generateEcdsaKeyPair("secp384r1") as KeyPairPem;
      const sig384 = buf(ccfCrypto.sign({ name: "ECDSA", hash: "SHA-384" }, p384.privateKey, data));
      assert.equal(sig384.length, 96);
      assert.ok(
        nodeVerify(
          "sha384",
          Buffer.from(data),
          { key: createPublicKey(p384.publicKey), dsaEncoding: "ieee-p1363" },
          sig384,
        ),
      );
    });

    it("verifies node's P1363 ECDSA signatures with a key or a certificate, SHA-256 only", async () => {
      const sig = nodeSign("sha256", Buffer.from(data), {
        key: p256.privateKey,
        dsaEncoding: "ieee-p1363",
      });
      const alg = { name: "ECDSA", hash: "SHA-256" };
      assert.equal(ccfCrypto.verifySignature(alg, p256Pem.publicKey, ab(sig), data), true);
      const tampered = Buffer.from(sig);
      tampered[10]! ^= 1;
      assert.equal(ccfCrypto.verifySignature(alg, p256Pem.publicKey, ab(tampered), data), false);
      assert.equal(ccfCrypto.verifySignature(alg, p256Pem.publicKey, ab(sig), ab("other")), false);
      // A DER signature is not what CCF takes.
      const der = nodeSign("sha256", Buffer.from(data), p256.privateKey);
      assert.equal(ccfCrypto.verifySignature(alg, p256Pem.publicKey, ab(der), data), false);

      const ca = await makeCa("CN=Signer", p256);
      assert.equal(ccfCrypto.verifySignature(alg, ca.pem, ab(sig), data), true);
      assert.equal(ccfCrypto.verifySignature(alg, ca.pem, ab(tampered), data), false);

      throwsLike(
        () =>
          ccfCrypto.verifySignature(
            { name: "ECDSA", hash: "SHA-384" },
            p256Pem.publicKey,
            ab(sig),
            data,
          ),
        RangeError,
        /supported: SHA-256/,
      );
      throwsLike(
        () => ccfCrypto.verifySignature({ name: "HMAC", hash: "SHA-256" }, "k", ab(sig), data),
        RangeError,
        /RSA-PSS, ECDSA, EdDSA/,
      );
    });

    it("signs RSA-PSS with salt length 0 unless saltLength is given", () => {
      const plain = Buffer.from(data);
      const pss = (saltLength: number) => ({
        key: rsa.publicKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength,
      });
      const sig = buf(
        ccfCrypto.sign({ name: "RSA-PSS", hash: "SHA-256" }, rsaPem.privateKey, data),
      );
      assert.equal(sig.length, 256);
      assert.ok(nodeVerify("sha256", plain, pss(0), sig));
      assert.ok(!nodeVerify("sha256", plain, pss(32), sig), "salt is exactly 0 bytes");
      // Deterministic with no salt.
      assert.deepEqual(
        buf(ccfCrypto.sign({ name: "RSA-PSS", hash: "SHA-256" }, rsaPem.privateKey, data)),
        sig,
      );

      const salted = buf(
        ccfCrypto.sign(
          { name: "RSA-PSS", hash: "SHA-384", saltLength: 32 },
          rsaPem.privateKey,
          data,
        ),
      );
      assert.ok(nodeVerify("sha384", plain, pss(32), salted));
      assert.ok(!nodeVerify("sha384", plain, pss(0), salted));
    });

    it("verifies RSA-PSS signatures with the given salt length (default 0)", () => {
      const plain = Buffer.from(data);
      const opts = (saltLength: number) => ({
        key: rsa.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength,
      });
      const unsalted = nodeSign("sha256", plain, opts(0));
      const salted = nodeSign("sha256", plain, opts(32));
      const alg = { name: "RSA-PSS", hash: "SHA-256" };
      assert.equal(ccfCrypto.verifySignature(alg, rsaPem.publicKey, ab(unsalted), data), true);
      assert.equal(ccfCrypto.verifySignature(alg, rsaPem.publicKey, ab(salted), data), false);
      const alg32 = { ...alg, saltLength: 32 };
      assert.equal(ccfCrypto.verifySignature(alg32, rsaPem.publicKey, ab(salted), data), true);
      assert.equal(ccfCrypto.verifySignature(alg32, rsaPem.publicKey, ab(salted), ab("x")), false);
      // An EC key is not an RSA key.
      throwsLike(
        () => ccfCrypto.verifySignature(alg, p256Pem.publicKey, ab(unsalted), data),
        InternalError,
        /^Failed to verify signature: /,
      );
    });

    it("checks a signature against an RSA certificate's key as PKCS#1 v1.5 (as CCF's verifier)", async () => {
      const rsaCa = await makeCa("CN=RSA", rsa, "RSASSA-PKCS1-v1_5");
      const plain = Buffer.from(data);
      const pkcs1 = nodeSign("sha256", plain, rsa.privateKey);
      const pss = nodeSign("sha256", plain, {
        key: rsa.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 0,
      });
      const alg = { name: "RSA-PSS", hash: "SHA-256" };
      assert.equal(ccfCrypto.verifySignature(alg, rsaCa.pem, ab(pkcs1), data), true);
      assert.equal(ccfCrypto.verifySignature(alg, rsaCa.pem, ab(pss), data), false);
      assert.equal(ccfCrypto.verifySignature(alg, rsaPem.publicKey, ab(pss), data), true);
    });

    it("signs and verifies EdDSA (Ed25519), agreeing with node", () => {
      const sig = buf(ccfCrypto.sign({ name: "EdDSA" }, edPem.privateKey, data));
      assert.equal(sig.length, 64);
      assert.ok(nodeVerify(null, Buffer.from(data), ed.publicKey, sig));
      const nodeSig = nodeSign(null, Buffer.from(data), ed.privateKey);
      assert.deepEqual(sig, nodeSig, "Ed25519 is deterministic");
      const alg = { name: "EdDSA" };
      assert.equal(ccfCrypto.verifySignature(alg, edPem.publicKey, ab(nodeSig), data), true);
      assert.equal(ccfCrypto.verifySignature(alg, edPem.publicKey, ab(nodeSig), ab("x")), false);
      // EdDSA verification failures are RangeErrors in CCF; signing ones InternalErrors.
      throwsLike(
        () => ccfCrypto.verifySignature(alg, "not a key", ab(nodeSig), data),
        RangeError,
        /^Failed to verify EdDSA signature: /,
      );
      const x25519 = ccfCrypto.generateEddsaKeyPair("x25519") as KeyPairPem;
      throwsLike(
        () => ccfCrypto.sign(alg, x25519.privateKey, data),
        InternalError,
        /^Failed to sign with EdDSA pair: /,
      );
    });

    it("computes HMAC keyed by the UTF-8 bytes of the key string", () => {
      const key = "clé secrète ✓";
      for (const [hash, node] of [
        ["SHA-256", "sha256"],
        ["SHA-384", "sha384"],
        ["SHA-512", "sha512"],
      ]) {
        const mac = buf(ccfCrypto.sign({ name: "HMAC", hash }, key, data));
        const expected = createHmac(node!, Buffer.from(key, "utf8"))
          .update(Buffer.from(data))
          .digest();
        assert.deepEqual(mac, expected);
      }
    });

    it("refuses bad algorithms, keys and argument types with CCF's error classes", () => {
      throwsLike(
        () => ccfCrypto.sign({ name: "ECDSA", hash: "SHA-1" }, p256Pem.privateKey, data),
        RangeError,
        /Unsupported hash algorithm/,
      );
      throwsLike(
        () => ccfCrypto.sign({ name: "ECDSA" }, p256Pem.privateKey, data),
        RangeError,
        /Unsupported hash algorithm/,
      );
      throwsLike(
        () => ccfCrypto.sign({ name: "RSA-OAEP", hash: "SHA-256" }, rsaPem.privateKey, data),
        RangeError,
        /Unsupported signing algorithm, supported: RSA-PSS, ECDSA, EdDSA, HMAC/,
      );
      throwsLike(
        () =>
          ccfCrypto.sign(
            { name: "ECDSA", hash: "SHA-256" },
            p256Pem.privateKey,
            new Opaque("object"),
          ),
        TypeError,
        /ArrayBuffer/,
      );
      throwsLike(
        () => ccfCrypto.sign(undefined, p256Pem.privateKey, data),
        TypeError,
        /cannot read property 'name' of undefined/,
      );
      throwsLike(
        () => ccfCrypto.sign({ name: "ECDSA", hash: "SHA-256" }, p256Pem.privateKey),
        TypeError,
        /Passed 2 arguments, but expected 3/,
      );
      // Library failures are InternalErrors.
      throwsLike(
        () => ccfCrypto.sign({ name: "ECDSA", hash: "SHA-256" }, rsaPem.privateKey, data),
        InternalError,
        /^Failed to sign: /,
      );
      throwsLike(
        () => ccfCrypto.sign({ name: "RSA-PSS", hash: "SHA-256" }, p256Pem.privateKey, data),
        InternalError,
        /^Failed to sign: /,
      );
      throwsLike(
        () => ccfCrypto.sign({ name: "ECDSA", hash: "SHA-256" }, p256Pem.publicKey, data),
        InternalError,
        /^Failed to sign: /,
      );
      throwsLike(
        () =>
          ccfCrypto.sign(
            { name: "ECDSA", hash: "SHA-256" },
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            data,
          ),
        InternalError,
      );
      const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" });
      throwsLike(
        () =>
          ccfCrypto.sign(
            { name: "ECDSA", hash: "SHA-256" },
            k1.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
            data,
          ),
        InternalError,
        /^Failed to sign: /,
      );
      throwsLike(
        () => ccfCrypto.verifySignature({ name: "ECDSA", hash: "SHA-256" }, "junk", data, data),
        InternalError,
        /^Failed to verify signature: /,
      );
      throwsLike(
        () =>
          ccfCrypto.verifySignature(
            { name: "ECDSA", hash: "SHA-256" },
            p256Pem.publicKey,
            new Opaque("object"),
            data,
          ),
        TypeError,
      );
    });
  });

  describe("wrapKey and unwrapKey", () => {
    // RFC 5649 §6 test vectors (192-bit KEK).
    const kek = hex("5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8");
    const vectors = [
      {
        key: hex("c37b7e6492584340 bed12207808941155068f738"),
        wrapped: hex("138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a"),
      },
      { key: hex("466f7250617369"), wrapped: hex("afbeb0f07dfbf541 9200f2ccb50bb24f") },
    ];
    const kwp = { name: "AES-KWP" };

    it("AES-KWP matches the RFC 5649 test vectors", () => {
      for (const v of vectors) {
        assert.deepEqual(buf(ccfCrypto.wrapKey(ab(v.key), ab(kek), kwp)), v.wrapped);
        assert.deepEqual(buf(ccfCrypto.unwrapKey(ab(v.wrapped), ab(kek), kwp)), v.key);
      }
    });

    it("AES-KWP interoperates with node's id-aes*-wrap-pad ciphers for every key size", () => {
      const iv = hex("a65959a6");
      for (const bits of [128, 192, 256]) {
        const aes = randomBytes(bits / 8);
        const secret = randomBytes(45);
        const wrapped = buf(ccfCrypto.wrapKey(ab(secret), ab(aes), kwp));
        const decipher = createDecipheriv(`id-aes${bits}-wrap-pad`, aes, iv);
        assert.deepEqual(Buffer.concat([decipher.update(wrapped), decipher.final()]), secret);
        const cipher = createCipheriv(`id-aes${bits}-wrap-pad`, aes, iv);
        const nodeWrapped = Buffer.concat([cipher.update(secret), cipher.final()]);
        assert.deepEqual(nodeWrapped, wrapped, "KWP is deterministic");
        assert.deepEqual(buf(ccfCrypto.unwrapKey(ab(nodeWrapped), ab(aes), kwp)), secret);
      }
    });

    it("AES-KWP uses the leading bytes of a longer key and refuses one under 128 bits", () => {
      const long = randomBytes(40);
      const secret = randomBytes(32);
      const wrapped = buf(ccfCrypto.wrapKey(ab(secret), ab(long), kwp));
      const decipher = createDecipheriv(
        "id-aes256-wrap-pad",
        long.subarray(0, 32),
        hex("a65959a6"),
      );
      assert.deepEqual(Buffer.concat([decipher.update(wrapped), decipher.final()]), secret);
      throwsLike(
        () => ccfCrypto.wrapKey(ab(secret), ab(randomBytes(8)), kwp),
        InternalError,
        /^Failed to wrap key: Need at least 128 bits, only have 64/,
      );
    });

    it("AES-KWP refuses a tampered or truncated wrapped key", () => {
      const aes = randomBytes(32);
      const wrapped = buf(ccfCrypto.wrapKey(ab(randomBytes(32)), ab(aes), kwp));
      const tampered = Buffer.from(wrapped);
      tampered[5]! ^= 0x40;
      throwsLike(
        () => ccfCrypto.unwrapKey(ab(tampered), ab(aes), kwp),
        InternalError,
        /^Failed to unwrap key: /,
      );
      throwsLike(
        () => ccfCrypto.unwrapKey(ab(wrapped.subarray(0, 12)), ab(aes), kwp),
        InternalError,
      );
      throwsLike(() => ccfCrypto.unwrapKey(ab(wrapped), ab(randomBytes(32)), kwp), InternalError);
    });

    it("RSA-OAEP (SHA-256) with a label is what node's privateDecrypt reads", () => {
      const secret = randomBytes(32);
      const label = Buffer.from("my label");
      const wrapped = buf(
        ccfCrypto.wrapKey(ab(secret), ab(rsaPem.publicKey), { name: "RSA-OAEP", label: ab(label) }),
      );
      assert.equal(wrapped.length, 256);
      const opts = {
        key: rsa.privateKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: "sha256",
      };
      assert.deepEqual(privateDecrypt({ ...opts, oaepLabel: label }, wrapped), secret);
      assert.throws(() => privateDecrypt({ ...opts, oaepLabel: Buffer.from("other") }, wrapped));
      assert.deepEqual(
        buf(
          ccfCrypto.unwrapKey(ab(wrapped), ab(rsaPem.privateKey), {
            name: "RSA-OAEP",
            label: ab(label),
          }),
        ),
        secret,
      );
      throwsLike(
        () => ccfCrypto.unwrapKey(ab(wrapped), ab(rsaPem.privateKey), { name: "RSA-OAEP" }),
        InternalError,
        /^Failed to unwrap key: /,
      );
    });

    it("RSA-OAEP without a label interoperates with node's publicEncrypt", () => {
      const secret = randomBytes(24);
      const nodeWrapped = publicEncrypt(
        { key: rsa.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
        secret,
      );
      const oaep = { name: "RSA-OAEP" };
      assert.deepEqual(
        buf(ccfCrypto.unwrapKey(ab(nodeWrapped), ab(rsaPem.privateKey), oaep)),
        secret,
      );
      const wrapped = buf(ccfCrypto.wrapKey(ab(secret), ab(rsaPem.publicKey), oaep));
      assert.deepEqual(
        privateDecrypt(
          { key: rsa.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
          wrapped,
        ),
        secret,
      );
      // The wrapping key may also be DER (SPKI), the unwrapping key a PKCS#1 PEM.
      const spkiDer = rsa.publicKey.export({ type: "spki", format: "der" });
      const fromDer = buf(ccfCrypto.wrapKey(ab(secret), ab(spkiDer), oaep));
      const pkcs1Pem = rsa.privateKey.export({ type: "pkcs1", format: "pem" }) as string;
      assert.match(pkcs1Pem, /BEGIN RSA PRIVATE KEY/);
      assert.deepEqual(buf(ccfCrypto.unwrapKey(ab(fromDer), ab(pkcs1Pem), oaep)), secret);
      throwsLike(
        () => ccfCrypto.wrapKey(ab(secret), ab(p256Pem.publicKey), oaep),
        InternalError,
        /^Failed to wrap key: /,
      );
      throwsLike(
        () => ccfCrypto.wrapKey(ab(randomBytes(300)), ab(rsaPem.publicKey), oaep),
        InternalError,
      );
    });

    it("RSA-OAEP-AES-KWP is the RSA-wrapped ephemeral AES key followed by the KWP ciphertext", () => {
      const secret = randomBytes(64);
      const label = Buffer.from("cleanroom");
      const params = { name: "RSA-OAEP-AES-KWP", aesKeySize: 256, label: ab(label) };
      const wrapped = buf(ccfCrypto.wrapKey(ab(secret), ab(rsaPem.publicKey), params));
      assert.equal(wrapped.length, 256 + 64 + 8);
      const aes = privateDecrypt(
        {
          key: rsa.privateKey,
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: "sha256",
          oaepLabel: label,
        },
        wrapped.subarray(0, 256),
      );
      assert.equal(aes.length, 32);
      const decipher = createDecipheriv("id-aes256-wrap-pad", aes, hex("a65959a6"));
      assert.deepEqual(
        Buffer.concat([decipher.update(wrapped.subarray(256)), decipher.final()]),
        secret,
      );
      assert.deepEqual(
        buf(ccfCrypto.unwrapKey(ab(wrapped), ab(rsaPem.privateKey), params)),
        secret,
      );

      // A blob assembled by hand with a 128-bit ephemeral key unwraps too.
      const ephemeral = randomBytes(16);
      const cipher = createCipheriv("id-aes128-wrap-pad", ephemeral, hex("a65959a6"));
      const blob = Buffer.concat([
        publicEncrypt(
          { key: rsa.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
          ephemeral,
        ),
        cipher.update(secret),
        cipher.final(),
      ]);
      assert.deepEqual(
        buf(
          ccfCrypto.unwrapKey(ab(blob), ab(rsaPem.privateKey), {
            name: "RSA-OAEP-AES-KWP",
            aesKeySize: 128,
          }),
        ),
        secret,
      );

      throwsLike(
        () => ccfCrypto.wrapKey(ab(secret), ab(rsaPem.publicKey), { ...params, aesKeySize: 100 }),
        InternalError,
        /^Failed to wrap key: invalid key size/,
      );
      throwsLike(
        () => ccfCrypto.unwrapKey(ab(wrapped.subarray(0, 256)), ab(rsaPem.privateKey), params),
        InternalError,
        /not enough ciphertext/,
      );
    });

    it("refuses unknown algorithms (RangeError) and non-ArrayBuffer keys (TypeError)", () => {
      const key = ab(randomBytes(32));
      throwsLike(
        () => ccfCrypto.wrapKey(key, key, { name: "AES-GCM" }),
        RangeError,
        /unsupported key wrapping algorithm, supported: RSA-OAEP, AES-KWP, RSA-OAEP-AES-KWP/,
      );
      throwsLike(
        () => ccfCrypto.unwrapKey(key, key, { name: "AES-GCM" }),
        RangeError,
        /unsupported key unwrapping algorithm/,
      );
      throwsLike(() => ccfCrypto.wrapKey(key, key, "AES-KWP"), RangeError);
      throwsLike(
        () => ccfCrypto.wrapKey(key, key, undefined),
        TypeError,
        /cannot read property 'name'/,
      );
      throwsLike(() => ccfCrypto.wrapKey(new Opaque("object"), key, kwp), TypeError, /ArrayBuffer/);
      throwsLike(() => ccfCrypto.wrapKey(key, rsaPem.publicKey, kwp), TypeError, /ArrayBuffer/);
      throwsLike(
        () => ccfCrypto.unwrapKey(key, key),
        TypeError,
        /Passed 2 arguments, but expected 3/,
      );
    });
  });

  describe("PEM and JWK", () => {
    const sorted = (jwk: object) => Object.keys(jwk);

    it("converts EC keys (P-256, P-384) to JWKs as jose does, with CCF's field set", async () => {
      for (const namedCurve of ["prime256v1", "secp384r1"]) {
        const pair = generateKeyPairSync("ec", { namedCurve });
        const pub = pair.publicKey.export({ type: "spki", format: "pem" }) as string;
        const priv = pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string;

        const jwk = ccfCrypto.pubPemToJwk(pub) as Jwk;
        assert.deepEqual(sorted(jwk), ["crv", "kty", "x", "y"]);
        const alg = namedCurve === "prime256v1" ? "ES256" : "ES384";
        assert.deepEqual(jwk, await joseJwk(pub, alg));
        const withKid = ccfCrypto.pubPemToJwk(pub, "key-1") as Jwk;
        assert.deepEqual(sorted(withKid), ["crv", "kid", "kty", "x", "y"]);
        assert.equal(withKid.kid, "key-1");

        const privJwk = ccfCrypto.pemToJwk(priv) as Jwk;
        assert.deepEqual(sorted(privJwk), ["crv", "d", "kty", "x", "y"]);
        assert.deepEqual(privJwk, await joseJwk(priv, alg));

        const imported = await jose.importJWK(privJwk, alg);
        const sig = nodeSign(
          null,
          Buffer.from("m"),
          KeyObject.from(imported as webcrypto.CryptoKey),
        );
        assert.ok(nodeVerify(null, Buffer.from("m"), pair.publicKey, sig));

        assert.equal(ccfCrypto.pubJwkToPem(jwk), pub);
        assert.equal(ccfCrypto.pubJwkToPem(withKid), pub);
        assert.equal(ccfCrypto.jwkToPem(privJwk), priv);
      }
    });

    it("converts RSA keys to JWKs as jose does, and back to the same PEM", async () => {
      const jwk = ccfCrypto.pubRsaPemToJwk(rsaPem.publicKey, "r") as Jwk;
      assert.deepEqual(sorted(jwk), ["e", "kid", "kty", "n"]);
      assert.deepEqual(jwk, { ...(await joseJwk(rsaPem.publicKey, "PS256")), kid: "r" });
      assert.equal(jwk.e, "AQAB");
      const privJwk = ccfCrypto.rsaPemToJwk(rsaPem.privateKey) as Jwk;
      assert.deepEqual(sorted(privJwk), ["d", "dp", "dq", "e", "kty", "n", "p", "q", "qi"]);
      assert.deepEqual(privJwk, await joseJwk(rsaPem.privateKey, "PS256"));
      const imported = await jose.importJWK(privJwk, "PS256");
      const sig = nodeSign("sha256", Buffer.from("m"), {
        key: KeyObject.from(imported as webcrypto.CryptoKey),
        padding: constants.RSA_PKCS1_PSS_PADDING,
      });
      assert.ok(
        nodeVerify(
          "sha256",
          Buffer.from("m"),
          { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING },
          sig,
        ),
      );
      assert.equal(ccfCrypto.pubRsaJwkToPem(jwk), rsaPem.publicKey);
      assert.equal(ccfCrypto.rsaJwkToPem(privJwk), rsaPem.privateKey);
    });

    it("converts Ed25519 and X25519 keys to OKP JWKs as jose does, and back", async () => {
      for (const type of ["ed25519", "x25519"] as const) {
        const pair = type === "ed25519" ? generateKeyPairSync(type) : generateKeyPairSync(type);
        const pub = pair.publicKey.export({ type: "spki", format: "pem" }) as string;
        const priv = pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
        const jwk = ccfCrypto.pubEddsaPemToJwk(pub) as Jwk;
        assert.deepEqual(sorted(jwk), ["crv", "kty", "x"]);
        assert.equal(jwk.crv, type === "ed25519" ? "Ed25519" : "X25519");
        const alg = type === "ed25519" ? "EdDSA" : "ECDH-ES";
        assert.deepEqual(jwk, await joseJwk(pub, alg));
        const privJwk = ccfCrypto.eddsaPemToJwk(priv, "e") as Jwk;
        assert.deepEqual(sorted(privJwk), ["crv", "d", "kid", "kty", "x"]);
        assert.deepEqual(privJwk, { ...(await joseJwk(priv, alg)), kid: "e" });
        assert.equal(ccfCrypto.pubEddsaJwkToPem(jwk), pub);
        assert.equal(ccfCrypto.eddsaJwkToPem(privJwk), priv);
      }
      const imported = await jose.importJWK(
        ccfCrypto.eddsaPemToJwk(edPem.privateKey) as Jwk,
        "EdDSA",
      );
      const sig = nodeSign(null, Buffer.from("m"), KeyObject.from(imported as webcrypto.CryptoKey));
      assert.ok(nodeVerify(null, Buffer.from("m"), ed.publicKey, sig));
    });

    it("passes an explicit kid argument through ToString, as CCF does", () => {
      const jwk = ccfCrypto.pubPemToJwk(p256Pem.publicKey, undefined) as Jwk;
      assert.equal(jwk.kid, "undefined");
      assert.equal((ccfCrypto.pubPemToJwk(p256Pem.publicKey, 7) as Jwk).kid, "7");
    });

    it("refuses keys of the wrong type or curve, and malformed PEM (InternalError)", () => {
      const refused = (call: () => unknown) =>
        throwsLike(call, InternalError, /^Failed to convert pem to jwk: /);
      refused(() => ccfCrypto.pubPemToJwk(rsaPem.publicKey));
      refused(() => ccfCrypto.pemToJwk(rsaPem.privateKey));
      refused(() => ccfCrypto.pubPemToJwk(p256Pem.privateKey));
      refused(() => ccfCrypto.pubRsaPemToJwk(p256Pem.publicKey));
      refused(() => ccfCrypto.rsaPemToJwk(edPem.privateKey));
      refused(() => ccfCrypto.pubEddsaPemToJwk(p256Pem.publicKey));
      refused(() => ccfCrypto.eddsaPemToJwk(rsaPem.privateKey));
      refused(() =>
        ccfCrypto.pubPemToJwk("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n"),
      );
      refused(() => ccfCrypto.pubPemToJwk(""));
      for (const namedCurve of ["secp256k1", "secp521r1"]) {
        const pair = generateKeyPairSync("ec", { namedCurve });
        refused(() =>
          ccfCrypto.pubPemToJwk(pair.publicKey.export({ type: "spki", format: "pem" })),
        );
        refused(() => ccfCrypto.pemToJwk(pair.privateKey.export({ type: "pkcs8", format: "pem" })));
      }
      throwsLike(() => ccfCrypto.pubPemToJwk(), TypeError, /expected 1 or 2/);
      throwsLike(() => ccfCrypto.pubPemToJwk(p256Pem.publicKey, "a", "b"), TypeError);
    });

    it("refuses malformed JWKs (InternalError)", () => {
      const ec = ccfCrypto.pubPemToJwk(p256Pem.publicKey) as Jwk;
      const refused = (call: () => unknown) =>
        throwsLike(call, InternalError, /^Failed to convert jwk to pem /);
      refused(() => ccfCrypto.pubJwkToPem({ ...ec, kty: "RSA" }));
      refused(() => ccfCrypto.pubJwkToPem({ ...ec, kty: "oct" }));
      refused(() => ccfCrypto.pubJwkToPem({ ...ec, crv: "P-521" }));
      refused(() => ccfCrypto.pubJwkToPem({ ...ec, crv: "secp256k1" }));
      refused(() => ccfCrypto.pubJwkToPem({ kty: "EC", crv: "P-256", x: ec.x }));
      refused(() => ccfCrypto.pubJwkToPem({ ...ec, x: 5 }));
      refused(() => ccfCrypto.pubJwkToPem({ ...ec, kid: 5 }));
      refused(() => ccfCrypto.pubJwkToPem({ ...ec, x: "not base64url!" }));
      refused(() => ccfCrypto.pubJwkToPem({ ...ec, y: ec.x })); // not on the curve
      refused(() => ccfCrypto.jwkToPem(ec)); // no d
      refused(() => ccfCrypto.pubJwkToPem("{}"));
      refused(() => ccfCrypto.pubJwkToPem(null));
      refused(() => ccfCrypto.rsaJwkToPem(ccfCrypto.pubRsaPemToJwk(rsaPem.publicKey)));
      refused(() => ccfCrypto.pubEddsaJwkToPem({ kty: "OKP", crv: "Ed448", x: "AAAA" }));
      refused(() => ccfCrypto.pubEddsaJwkToPem({ kty: "OKP", crv: "Ed25519", x: "AAAA" }));
      throwsLike(() => ccfCrypto.pubJwkToPem(), TypeError, /expected 1/);
    });
  });

  describe("X.509 bundles and chains", () => {
    let root: Ca;
    let intermediate: Ca;
    let leaf: Ca;

    before(async () => {
      root = await makeCa("CN=Root");
      intermediate = await makeCa("CN=Intermediate", undefined, "ECDSA", { issuer: root });
      leaf = await makeCa("CN=Leaf", undefined, "ECDSA", { issuer: intermediate, ca: false });
    });

    it("isValidX509CertBundle accepts PEM certificates and refuses anything else", () => {
      assert.equal(ccfCrypto.isValidX509CertBundle(root.pem), true);
      assert.equal(ccfCrypto.isValidX509CertBundle(leaf.pem + intermediate.pem + root.pem), true);
      assert.equal(ccfCrypto.isValidX509CertBundle(`comment\n${root.pem}`), true);
      assert.equal(ccfCrypto.isValidX509CertBundle("not a certificate"), false);
      assert.equal(ccfCrypto.isValidX509CertBundle(p256Pem.publicKey), false);
      const body = root.pem.split("\n");
      body[3] = "!!!!" + body[3]!.slice(4);
      assert.equal(ccfCrypto.isValidX509CertBundle(body.join("\n")), false, "bad base64");
      const junk = `-----BEGIN CERTIFICATE-----\n${randomBytes(96).toString("base64")}\n-----END CERTIFICATE-----\n`;
      assert.equal(ccfCrypto.isValidX509CertBundle(junk), false, "not a certificate's DER");
      assert.equal(ccfCrypto.isValidX509CertBundle(42), false);
      // CCF builds its CA from the text, and an empty text makes an empty (valid) CA.
      assert.equal(ccfCrypto.isValidX509CertBundle(""), true);
      throwsLike(() => ccfCrypto.isValidX509CertBundle(), TypeError, /expected 1/);
    });

    it("isValidX509CertChain accepts a valid chain, also against a trusted intermediate", () => {
      assert.equal(ccfCrypto.isValidX509CertChain(leaf.pem + intermediate.pem, root.pem), true);
      assert.equal(ccfCrypto.isValidX509CertChain(leaf.pem, intermediate.pem), true);
      assert.equal(
        ccfCrypto.isValidX509CertChain(leaf.pem + intermediate.pem, leaf.pem + root.pem),
        true,
      );
      assert.equal(ccfCrypto.isValidX509CertChain(intermediate.pem, root.pem), true);
      assert.equal(ccfCrypto.isValidX509CertChain(root.pem, root.pem), true);
    });

    it("agrees with @peculiar/x509 on the signatures of the test chain", async () => {
      assert.ok(
        await leaf.cert.verify({ publicKey: intermediate.cert.publicKey, signatureOnly: true }),
      );
      assert.ok(
        await intermediate.cert.verify({ publicKey: root.cert.publicKey, signatureOnly: true }),
      );
      assert.ok(!(await leaf.cert.verify({ publicKey: root.cert.publicKey, signatureOnly: true })));
      const built = await new x509.X509ChainBuilder({
        certificates: [intermediate.cert, root.cert],
      }).build(leaf.cert);
      assert.deepEqual(
        Array.from(built, (c) => c.subject),
        ["CN=Leaf", "CN=Intermediate", "CN=Root"],
      );
    });

    it("refuses a chain missing its intermediate, or anchored elsewhere", async () => {
      assert.equal(ccfCrypto.isValidX509CertChain(leaf.pem, root.pem), false);
      const other = await makeCa("CN=Other root");
      assert.equal(ccfCrypto.isValidX509CertChain(leaf.pem + intermediate.pem, other.pem), false);
      assert.equal(ccfCrypto.isValidX509CertChain(root.pem, leaf.pem), false);
    });

    it("refuses expired and not-yet-valid certificates anywhere in the chain", async () => {
      const day = 24 * 3600 * 1000;
      const past = {
        notBefore: new Date(Date.now() - 10 * day),
        notAfter: new Date(Date.now() - day),
      };
      const future = {
        notBefore: new Date(Date.now() + day),
        notAfter: new Date(Date.now() + 10 * day),
      };
      const expiredLeaf = await makeCa("CN=Expired", undefined, "ECDSA", {
        issuer: intermediate,
        ca: false,
        ...past,
      });
      assert.equal(
        ccfCrypto.isValidX509CertChain(expiredLeaf.pem + intermediate.pem, root.pem),
        false,
      );
      const earlyLeaf = await makeCa("CN=Early", undefined, "ECDSA", {
        issuer: intermediate,
        ca: false,
        ...future,
      });
      assert.equal(
        ccfCrypto.isValidX509CertChain(earlyLeaf.pem + intermediate.pem, root.pem),
        false,
      );
      const expiredInt = await makeCa("CN=Old intermediate", undefined, "ECDSA", {
        issuer: root,
        ...past,
      });
      const underExpired = await makeCa("CN=Leaf 2", undefined, "ECDSA", {
        issuer: expiredInt,
        ca: false,
      });
      assert.equal(
        ccfCrypto.isValidX509CertChain(underExpired.pem + expiredInt.pem, root.pem),
        false,
      );
      const expiredRoot = await makeCa("CN=Old root", undefined, "ECDSA", past);
      const underOldRoot = await makeCa("CN=Leaf 3", undefined, "ECDSA", {
        issuer: expiredRoot,
        ca: false,
      });
      assert.equal(ccfCrypto.isValidX509CertChain(underOldRoot.pem, expiredRoot.pem), false);
    });

    it("refuses a broken signature", async () => {
      const der = Buffer.from(leaf.cert.rawData);
      der[der.length - 5]! ^= 0x01; // inside the signature value
      const broken = new x509.X509Certificate(der).toString("pem");
      assert.equal(ccfCrypto.isValidX509CertBundle(broken), true, "still well-formed");
      const brokenCert = new x509.X509Certificate(der);
      assert.ok(
        !(await brokenCert.verify({ publicKey: intermediate.cert.publicKey, signatureOnly: true })),
      );
      assert.equal(ccfCrypto.isValidX509CertChain(broken + intermediate.pem, root.pem), false);
      // Same names, different key: an impostor intermediate signs nothing valid here.
      const impostor = await makeCa("CN=Intermediate", undefined, "ECDSA", { issuer: root });
      assert.equal(ccfCrypto.isValidX509CertChain(leaf.pem + impostor.pem, root.pem), false);
    });

    it("takes the first certificate as the target; the others may come in any order", async () => {
      const lower = await makeCa("CN=Lower intermediate", undefined, "ECDSA", {
        issuer: intermediate,
      });
      const deepLeaf = await makeCa("CN=Deep leaf", undefined, "ECDSA", {
        issuer: lower,
        ca: false,
      });
      assert.equal(
        ccfCrypto.isValidX509CertChain(deepLeaf.pem + lower.pem + intermediate.pem, root.pem),
        true,
      );
      assert.equal(
        ccfCrypto.isValidX509CertChain(deepLeaf.pem + intermediate.pem + lower.pem, root.pem),
        true,
      );
      const stranger = await makeCa("CN=Stranger");
      assert.equal(
        ccfCrypto.isValidX509CertChain(stranger.pem + leaf.pem + intermediate.pem, root.pem),
        false,
        "a valid chain after the wrong target does not count",
      );
    });

    it("requires issuers to be CAs and honours path length constraints", async () => {
      const underLeaf = await makeCa("CN=Under leaf", undefined, "ECDSA", {
        issuer: leaf,
        ca: false,
      });
      assert.equal(
        ccfCrypto.isValidX509CertChain(underLeaf.pem + leaf.pem + intermediate.pem, root.pem),
        false,
      );
      // Without a key usage extension, basicConstraints alone decides whether a cert may issue.
      for (const ca of [false, true]) {
        const issuer = await makeCa(`CN=Issuer ${ca}`, undefined, "ECDSA", {
          issuer: intermediate,
          ca,
          keyUsage: false,
        });
        const child = await makeCa(`CN=Child ${ca}`, undefined, "ECDSA", { issuer, ca: false });
        assert.equal(
          ccfCrypto.isValidX509CertChain(child.pem + issuer.pem + intermediate.pem, root.pem),
          ca,
        );
      }
      const limited = await makeCa("CN=Limited", undefined, "ECDSA", {
        issuer: root,
        pathLength: 0,
      });
      const below = await makeCa("CN=Below", undefined, "ECDSA", { issuer: limited });
      const end = await makeCa("CN=End", undefined, "ECDSA", { issuer: below, ca: false });
      assert.equal(ccfCrypto.isValidX509CertChain(below.pem + limited.pem, root.pem), true);
      assert.equal(
        ccfCrypto.isValidX509CertChain(end.pem + below.pem + limited.pem, root.pem),
        false,
      );
    });

    it("returns false without certificates, throws InternalError for an unreadable target", () => {
      assert.equal(ccfCrypto.isValidX509CertChain("", root.pem), false);
      assert.equal(ccfCrypto.isValidX509CertChain(leaf.pem, ""), false);
      assert.equal(ccfCrypto.isValidX509CertChain(leaf.pem, "junk"), false);
      const junk = `-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`;
      assert.equal(ccfCrypto.isValidX509CertChain(leaf.pem + junk, root.pem), false);
      assert.equal(ccfCrypto.isValidX509CertChain(leaf.pem + intermediate.pem, junk), false);
      throwsLike(
        () => ccfCrypto.isValidX509CertChain(junk, root.pem),
        InternalError,
        /^isValidX509Chain failed: /,
      );
      throwsLike(() => ccfCrypto.isValidX509CertChain(leaf.pem), TypeError, /expected 2/);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Certificates for the tests, made with @peculiar/x509 over WebCrypto.
// ---------------------------------------------------------------------------------------------

interface Ca {
  pem: string;
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

interface CaOptions {
  issuer?: Ca;
  ca?: boolean;
  pathLength?: number;
  /** Whether to include a key usage extension (default true). */
  keyUsage?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

let serial = 1;

async function makeCa(
  name: string,
  nodeKeys?: { privateKey: KeyObject; publicKey: KeyObject },
  family: "ECDSA" | "RSASSA-PKCS1-v1_5" = "ECDSA",
  options: CaOptions = {},
): Promise<Ca> {
  const algorithm =
    family === "ECDSA"
      ? { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" }
      : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const keys: webcrypto.CryptoKeyPair = nodeKeys
    ? {
        privateKey: await webcrypto.subtle.importKey(
          "pkcs8",
          nodeKeys.privateKey.export({ type: "pkcs8", format: "der" }),
          algorithm,
          true,
          ["sign"],
        ),
        publicKey: await webcrypto.subtle.importKey(
          "spki",
          nodeKeys.publicKey.export({ type: "spki", format: "der" }),
          algorithm,
          true,
          ["verify"],
        ),
      }
    : ((await webcrypto.subtle.generateKey(algorithm, true, [
        "sign",
        "verify",
      ])) as webcrypto.CryptoKeyPair);
  const isCa = options.ca ?? true;
  const issuer = options.issuer;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(isCa, isCa ? options.pathLength : undefined, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(
      issuer ? issuer.keys.publicKey : keys.publicKey,
    ),
  ];
  if (options.keyUsage ?? true)
    extensions.push(
      new x509.KeyUsagesExtension(
        isCa
          ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
          : x509.KeyUsageFlags.digitalSignature,
        true,
      ),
    );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(4, "0"),
    subject: name,
    issuer: issuer ? issuer.cert.subject : name,
    notBefore: options.notBefore ?? new Date(Date.now() - 3600 * 1000),
    notAfter: options.notAfter ?? new Date(Date.now() + 24 * 3600 * 1000),
    signingAlgorithm: algorithm,
    publicKey: keys.publicKey,
    signingKey: issuer ? issuer.keys.privateKey : keys.privateKey,
    extensions,
  });
  return { pem: cert.toString("pem") + "\n", cert, keys };
}
