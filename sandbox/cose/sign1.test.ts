import assert from "node:assert/strict";
import { X509Certificate, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { Encoder, Tag } from "cbor-x";
import { signCoseSign1 } from "../../client/cose.js";
import { makeIdentity, type TestIdentity } from "../../test/support/auth-fixtures.js";
import {
  CoseError,
  decodeSign1,
  ecdsaAlgorithm,
  headerBytes,
  headerInt,
  headerText,
  sigStructure,
  toPublicKey,
  verifySign1,
  type CoseErrorKind,
} from "./sign1.js";

// Messages are built here with cbor-x and node:crypto directly, independently of client/cose.ts.
const cbor = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false });
const enc = (value: unknown) => Uint8Array.from(cbor.encode(value));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

const HASH: Record<number, string> = { [-7]: "sha256", [-35]: "sha384", [-36]: "sha512" };

function handMade(
  key: KeyObject,
  alg: number,
  payload: Uint8Array,
  extra: [number | string, unknown][] = [],
): Uint8Array {
  const protectedBytes = enc(new Map<number | string, unknown>([[1, alg], ...extra]));
  const tbs = enc(["Signature1", protectedBytes, new Uint8Array(0), payload]);
  const signature = sign(HASH[alg]!, tbs, { key, dsaEncoding: "ieee-p1363" });
  return enc(new Tag([protectedBytes, new Map(), payload, signature], 18));
}

function assertCoseError(
  fn: () => unknown,
  kind: CoseErrorKind,
  message?: string,
  label: string = kind,
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CoseError, `${label}: expected a CoseError, got ${String(e)}`);
    assert.equal(e.kind, kind, label);
    if (message !== undefined) assert.equal(e.message, message, label);
    return true;
  });
}

describe("cose/sign1", () => {
  const keys = {
    p256: generateKeyPairSync("ec", { namedCurve: "P-256" }),
    p384: generateKeyPairSync("ec", { namedCurve: "P-384" }),
    p521: generateKeyPairSync("ec", { namedCurve: "P-521" }),
  };
  let signer: TestIdentity;
  before(async () => {
    signer = await makeIdentity({ curve: "P-384" });
  });

  describe("decodeSign1", () => {
    it("returns the protected header with integer and text labels, payload and signature", () => {
      const payload = Buffer.from('{"hello":"world"}');
      const kid = Buffer.from("abc123");
      const message = handMade(keys.p256.privateKey, -7, payload, [
        [4, kid],
        ["ccf.gov.msg.type", "proposal"],
        ["ccf.gov.msg.created_at", 1_700_000_000],
      ]);
      const sign1 = decodeSign1(message);
      assert.equal(headerInt(sign1.protectedHeader, 1), -7);
      assert.deepEqual(Buffer.from(headerBytes(sign1.protectedHeader, 4)!), kid);
      assert.equal(headerText(sign1.protectedHeader, "ccf.gov.msg.type"), "proposal");
      assert.equal(headerInt(sign1.protectedHeader, "ccf.gov.msg.created_at"), 1_700_000_000);
      assert.equal(sign1.unprotectedHeader.size, 0);
      assert.deepEqual(Buffer.from(sign1.payload!), payload);
      assert.equal(sign1.signature.length, 64);
      assert.equal(ecdsaAlgorithm(sign1), -7);
    });

    it("gives the exact Sig_structure bytes", () => {
      // ["Signature1", h'a10126', h'', h'0102']
      const expected = "84" + "6a" + hex(Buffer.from("Signature1")) + "43a10126" + "40" + "420102";
      assert.equal(hex(sigStructure(Buffer.from("a10126", "hex"), Buffer.from([1, 2]))), expected);
      const message = enc(
        new Tag(
          [Buffer.from("a10126", "hex"), new Map(), Buffer.from([1, 2]), Buffer.alloc(64)],
          18,
        ),
      );
      assert.equal(hex(decodeSign1(message).sigStructure!), expected);
      const withAad = sigStructure(
        Buffer.from("a10126", "hex"),
        Buffer.from([1, 2]),
        Buffer.from([9]),
      );
      assert.equal(hex(withAad), expected.replace("43a1012640", "43a101264109"));
    });

    it("reads an empty protected header and a detached payload", () => {
      const message = enc(
        new Tag([new Uint8Array(0), new Map([[4, "x"]]), null, Buffer.alloc(64)], 18),
      );
      const sign1 = decodeSign1(message);
      assert.equal(sign1.protectedHeader.size, 0);
      assert.equal(sign1.unprotectedHeader.get(4), "x");
      assert.equal(sign1.payload, null);
      assert.equal(sign1.sigStructure, null);
      assertCoseError(() => ecdsaAlgorithm(sign1), "MissingAlgorithm");
    });

    it("refuses what is not a tagged four-item COSE_Sign1, with CCF's messages", () => {
      const ph = enc(new Map([[1, -7]]));
      const good = [ph, new Map(), Buffer.from("p"), Buffer.alloc(64)];
      const cases: [string, Uint8Array, CoseErrorKind, string][] = [
        [
          "not CBOR",
          Buffer.from([0xff, 0x00]),
          "NotAnArray",
          "Failed to parse COSE_Sign1 outer array",
        ],
        ["empty", new Uint8Array(0), "NotAnArray", "Failed to parse COSE_Sign1 outer array"],
        ["a map", enc(new Map([[1, 2]])), "NotAnArray", "Failed to parse COSE_Sign1 outer array"],
        [
          "tag 18 on a map",
          enc(new Tag(new Map(), 18)),
          "NotAnArray",
          "Failed to parse COSE_Sign1 outer array",
        ],
        ["untagged", enc(good), "NotTagged", "COSE_Sign1 is not tagged"],
        ["tag 98", enc(new Tag(good, 98)), "NotTagged", "COSE_Sign1 is not tagged"],
        [
          "trailing bytes",
          Buffer.concat([enc(new Tag(good, 18)), Buffer.from([0])]),
          "NotAnArray",
          "Failed to parse COSE_Sign1 outer array",
        ],
        [
          "protected is a map",
          enc(new Tag([new Map([[1, -7]]), ...good.slice(1)], 18)),
          "BadProtectedHeader",
          "Failed to decode protected header",
        ],
        [
          "protected is not CBOR",
          enc(new Tag([Buffer.from([0xff]), ...good.slice(1)], 18)),
          "BadProtectedHeader",
          "Failed to decode protected header",
        ],
        [
          "protected holds an array",
          enc(new Tag([enc([1]), ...good.slice(1)], 18)),
          "BadProtectedHeader",
          "Failed to decode protected header",
        ],
        [
          "three items",
          enc(new Tag(good.slice(0, 3), 18)),
          "BadStructure",
          "Failed to decode COSE_Sign1: expected 4 items",
        ],
        [
          "five items",
          enc(new Tag([...good, 1], 18)),
          "BadStructure",
          "Failed to decode COSE_Sign1: expected 4 items",
        ],
        [
          "unprotected is an array",
          enc(new Tag([ph, [], ...good.slice(2)], 18)),
          "BadStructure",
          "Failed to decode COSE_Sign1: unprotected header is not a map",
        ],
        [
          "payload is text",
          enc(new Tag([ph, new Map(), "p", Buffer.alloc(64)], 18)),
          "BadStructure",
          "Failed to decode COSE_Sign1: payload is neither a byte string nor nil",
        ],
        [
          "signature is text",
          enc(new Tag([ph, new Map(), Buffer.from("p"), "sig"], 18)),
          "BadStructure",
          "Failed to decode COSE_Sign1: signature is not a byte string",
        ],
      ];
      for (const [name, bytes, kind, message] of cases) {
        assertCoseError(() => decodeSign1(bytes), kind, message, name);
      }
    });

    it("type-checks header values on access", () => {
      const sign1 = decodeSign1(
        enc(
          new Tag(
            [
              enc(
                new Map<number | string, unknown>([
                  [1, "ES256"],
                  [4, "text"],
                  ["n", 2n ** 64n],
                  ["b", 7n],
                ]),
              ),
              new Map(),
              Buffer.from("p"),
              Buffer.alloc(64),
            ],
            18,
          ),
        ),
      );
      const h = sign1.protectedHeader;
      assertCoseError(
        () => headerInt(h, 1),
        "BadProtectedHeader",
        "Failed to decode protected header: 1 is not an integer",
      );
      assertCoseError(() => headerBytes(h, 4), "BadProtectedHeader");
      assertCoseError(() => headerText(h, "b"), "BadProtectedHeader");
      assert.equal(headerText(h, 1), "ES256");
      assertCoseError(() => headerInt(h, "n"), "BadProtectedHeader");
      assert.equal(headerInt(h, "b"), 7);
      assert.equal(headerInt(h, 99), undefined);
      assert.equal(headerText(h, "absent"), undefined);
      assert.equal(headerBytes(h, 5), undefined);
      assertCoseError(() => ecdsaAlgorithm(sign1), "BadProtectedHeader");
    });
  });

  describe("verifySign1", () => {
    for (const [name, pair, alg, sigLength] of [
      ["ES256", keys.p256, -7, 64],
      ["ES384", keys.p384, -35, 96],
      ["ES512", keys.p521, -36, 132],
    ] as const) {
      it(`verifies ${name} with the public key, and refuses tampering and other keys`, () => {
        const payload = Buffer.from(`payload for ${name}`);
        const message = handMade(pair.privateKey, alg, payload);
        const sign1 = decodeSign1(message);
        assert.equal(sign1.signature.length, sigLength);
        assert.equal(verifySign1(sign1, pair.publicKey), true);
        assert.equal(
          verifySign1(sign1, pair.publicKey.export({ type: "spki", format: "pem" }) as string),
          true,
        );

        const other = generateKeyPairSync("ec", {
          namedCurve: pair.publicKey.asymmetricKeyDetails!.namedCurve!,
        });
        assert.equal(verifySign1(sign1, other.publicKey), false);

        const tamperedPayload = {
          ...sign1,
          sigStructure: sigStructure(sign1.protectedBytes, Buffer.from("other")),
        };
        assert.equal(verifySign1(tamperedPayload, pair.publicKey), false);

        const flipped = Uint8Array.from(sign1.signature);
        flipped[5]! ^= 1;
        assert.equal(verifySign1({ ...sign1, signature: flipped }, pair.publicKey), false);
        assert.equal(
          verifySign1({ ...sign1, signature: flipped.subarray(1) }, pair.publicKey),
          false,
        );
      });
    }

    it("verifies with a certificate, as PEM or X509Certificate", () => {
      const message = signCoseSign1({
        privateKeyPem: signer.privateKeyPem,
        kid: signer.id,
        protectedHeaders: { "ccf.gov.msg.type": "ack" },
        payload: Buffer.from("{}"),
      });
      const sign1 = decodeSign1(message);
      assert.equal(verifySign1(sign1, signer.certPem), true);
      assert.equal(verifySign1(sign1, new X509Certificate(signer.certPem)), true);
      assert.equal(hex(headerBytes(sign1.protectedHeader, 4)!), hex(Buffer.from(signer.id)));
    });

    it("notices a protected header changed after signing", () => {
      const message = handMade(keys.p256.privateKey, -7, Buffer.from("x"), [
        ["ccf.gov.msg.type", "ballot"],
      ]);
      const sign1 = decodeSign1(message);
      const changed = enc(
        new Map<number | string, unknown>([
          [1, -7],
          ["ccf.gov.msg.type", "proposal"],
        ]),
      );
      const forged = decodeSign1(
        enc(new Tag([changed, new Map(), Buffer.from("x"), sign1.signature], 18)),
      );
      assert.equal(verifySign1(sign1, keys.p256.publicKey), true);
      assert.equal(verifySign1(forged, keys.p256.publicKey), false);
    });

    it("is false for a detached payload or a non-EC key, and throws for missing or other algorithms", () => {
      const detached = decodeSign1(
        enc(new Tag([enc(new Map([[1, -7]])), new Map(), null, Buffer.alloc(64)], 18)),
      );
      assert.equal(verifySign1(detached, keys.p256.publicKey), false);

      const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const sign1 = decodeSign1(handMade(keys.p256.privateKey, -7, Buffer.from("x")));
      assert.equal(verifySign1(sign1, rsa.publicKey), false);

      const eddsa = decodeSign1(
        enc(new Tag([enc(new Map([[1, -8]])), new Map(), Buffer.from("x"), Buffer.alloc(64)], 18)),
      );
      assertCoseError(
        () => verifySign1(eddsa, keys.p256.publicKey),
        "UnsupportedAlgorithm",
        "Unsupported algorithm: -8",
      );
      const none = decodeSign1(
        enc(new Tag([new Uint8Array(0), new Map(), Buffer.from("x"), Buffer.alloc(64)], 18)),
      );
      assertCoseError(
        () => verifySign1(none, keys.p256.publicKey),
        "MissingAlgorithm",
        "Missing algorithm in protected header",
      );
    });

    it("refuses keys that are not public keys or certificates", () => {
      assertCoseError(() => toPublicKey("not a pem"), "BadKey");
      assertCoseError(() => toPublicKey(keys.p256.privateKey), "BadKey");
      assert.equal(toPublicKey(signer.certPem).asymmetricKeyType, "ec");
    });
  });
});
