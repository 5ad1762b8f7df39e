import assert from "node:assert/strict";
import { generateKeyPairSync, verify, type KeyObject } from "node:crypto";
import { Decoder, Encoder, Tag } from "cbor-x";
import { coseAlgorithmFor, encodeProtectedHeader, signCoseSign1 } from "./cose.js";

// Checked with cbor-x and node:crypto directly, not with the sandbox's decoder.
const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });
const encoder = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false });
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const pem = (key: KeyObject) => key.export({ type: "pkcs8", format: "pem" }) as string;

interface Decoded {
  protectedBytes: Uint8Array;
  protectedHeader: Map<number | string, unknown>;
  unprotected: Map<unknown, unknown>;
  payload: Uint8Array;
  signature: Uint8Array;
}

function decode(message: Uint8Array): Decoded {
  const outer = decoder.decode(message) as unknown;
  assert.ok(outer instanceof Tag);
  assert.equal(outer.tag, 18);
  const items = outer.value as unknown[];
  assert.equal(items.length, 4);
  const [protectedBytes, unprotected, payload, signature] = items as [
    Uint8Array,
    Map<unknown, unknown>,
    Uint8Array,
    Uint8Array,
  ];
  return {
    protectedBytes,
    protectedHeader: decoder.decode(protectedBytes) as Map<number | string, unknown>,
    unprotected,
    payload,
    signature,
  };
}

function verifies(decoded: Decoded, publicKey: KeyObject, hash: string): boolean {
  const tbs = encoder.encode([
    "Signature1",
    decoded.protectedBytes,
    Buffer.alloc(0),
    decoded.payload,
  ]);
  return verify(hash, tbs, { key: publicKey, dsaEncoding: "ieee-p1363" }, decoded.signature);
}

describe("client/cose: signCoseSign1", () => {
  for (const [curve, alg, hash, sigLength] of [
    ["P-256", -7, "sha256", 64],
    ["P-384", -35, "sha384", 96],
    ["P-521", -36, "sha512", 132],
  ] as const) {
    it(`signs with ${curve} as alg ${alg}, kid as bytes, payload embedded`, () => {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
      const payload = Buffer.from('{"actions":[]}');
      const kid = "a".repeat(64);
      const message = signCoseSign1({
        privateKeyPem: pem(privateKey),
        kid,
        protectedHeaders: {
          "ccf.gov.msg.type": "proposal",
          "ccf.gov.msg.created_at": 1_700_000_000,
        },
        payload,
      });
      assert.ok(message instanceof Uint8Array);
      const decoded = decode(message);
      assert.equal(decoded.protectedHeader.get(1), alg);
      assert.deepEqual(Buffer.from(decoded.protectedHeader.get(4) as Uint8Array), Buffer.from(kid));
      assert.equal(decoded.protectedHeader.get("ccf.gov.msg.type"), "proposal");
      assert.equal(decoded.protectedHeader.get("ccf.gov.msg.created_at"), 1_700_000_000);
      assert.equal(decoded.unprotected.size, 0);
      assert.deepEqual(Buffer.from(decoded.payload), payload);
      assert.equal(decoded.signature.length, sigLength);
      assert.equal(verifies(decoded, publicKey, hash), true);
      const other = generateKeyPairSync("ec", { namedCurve: curve }).publicKey;
      assert.equal(verifies(decoded, other, hash), false);
    });
  }

  it("encodes the protected header deterministically: integer labels first, then by encoding", () => {
    const a = encodeProtectedHeader(-35, "k", {
      "ccf.gov.msg.proposal_id": "p",
      "ccf.gov.msg.created_at": 1,
      "ccf.gov.msg.type": "ballot",
    });
    const b = encodeProtectedHeader(-35, "k", {
      "ccf.gov.msg.type": "ballot",
      "ccf.gov.msg.created_at": 1,
      "ccf.gov.msg.proposal_id": "p",
    });
    assert.equal(hex(a), hex(b));
    const keys = [...(decoder.decode(a) as Map<unknown, unknown>).keys()];
    assert.deepEqual(keys, [
      1,
      4,
      "ccf.gov.msg.type",
      "ccf.gov.msg.created_at",
      "ccf.gov.msg.proposal_id",
    ]);
    // {1: -7, 4: h'6b6964', "t": "x"}: map(3), 1, nint(6), 4, bstr(3), text(1) "t", text(1) "x"
    assert.equal(
      hex(encodeProtectedHeader(-7, "kid", { t: "x" })),
      "a301260443" + "6b6964" + "6174" + "6178",
    );
    // created_at is a CBOR unsigned integer (major type 0), as CCF requires.
    assert.equal(
      hex(encodeProtectedHeader(-7, "", { c: 1_700_000_000 })),
      "a3012604406163" + "1a6553f100",
    );
  });

  it("signs each message afresh (ECDSA is randomised) and keeps earlier results intact", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const request = { privateKeyPem: pem(privateKey), kid: "k", payload: Buffer.from("same") };
    const first = signCoseSign1(request);
    const firstCopy = Uint8Array.from(first);
    const second = signCoseSign1(request);
    assert.deepEqual(first, firstCopy);
    assert.notDeepEqual(first, second);
  });

  it("refuses keys other than EC P-256/P-384/P-521, and bad header values", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey;
    const payload = Buffer.from("x");
    assert.throws(() => signCoseSign1({ privateKeyPem: pem(rsa), kid: "k", payload }), TypeError);
    assert.throws(() => signCoseSign1({ privateKeyPem: pem(k1), kid: "k", payload }), /secp256k1/);
    assert.throws(() => signCoseSign1({ privateKeyPem: "nope", kid: "k", payload }), TypeError);
    const p256 = pem(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
    assert.throws(
      () => signCoseSign1({ privateKeyPem: p256, kid: "k", payload, protectedHeaders: { t: 1.5 } }),
      RangeError,
    );
    assert.throws(
      () =>
        signCoseSign1({
          privateKeyPem: p256,
          kid: "k",
          payload,
          protectedHeaders: { t: true as unknown as string },
        }),
      TypeError,
    );
    assert.deepEqual(
      coseAlgorithmFor(generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey),
      {
        alg: -35,
        hash: "sha384",
      },
    );
  });
});
