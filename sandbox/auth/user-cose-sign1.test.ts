import assert from "node:assert/strict";
import { sign, type KeyObject } from "node:crypto";
import { Decoder, Encoder, Tag } from "cbor-x";
import { signCoseSign1 } from "../../client/cose.js";
import { Tables } from "../enclave/tables.js";
import {
  contextFor,
  identityOf,
  makeIdentity,
  reasonOf,
  TestGov,
  type TestIdentity,
} from "../../test/support/auth-fixtures.js";
import { AuthInternalError, type PolicyOutcome } from "./types.js";
import { COSE_CHALLENGE } from "../cose/signer.js";
import { userCoseSign1 } from "./user-cose-sign1.js";

// Built with cbor-x and node:crypto directly, independently of client/cose.ts.
const cbor = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false });
const enc = (value: unknown) => Uint8Array.from(cbor.encode(value));

interface HandMade {
  key: KeyObject;
  header: [number | string, unknown][];
  payload?: Uint8Array | null;
  hash?: string;
  tag?: number | null;
}

function handMade({
  key,
  header,
  payload = Buffer.from("hi"),
  hash = "sha256",
  tag = 18,
}: HandMade) {
  const protectedBytes = enc(new Map(header));
  const tbs = enc(["Signature1", protectedBytes, new Uint8Array(0), payload ?? new Uint8Array(0)]);
  const signature = sign(hash, tbs, { key, dsaEncoding: "ieee-p1363" });
  const items = [protectedBytes, new Map(), payload, signature];
  return enc(tag === null ? items : new Tag(items, tag));
}

const COSE = { "content-type": "application/cose" };

describe("auth/user_cose_sign1", () => {
  let alice: TestIdentity; // P-384, as CCF's keygenerator makes them
  let bob: TestIdentity; // P-256
  let carol: TestIdentity; // P-521
  let stranger: TestIdentity;
  let member: TestIdentity;
  let gov: TestGov;

  before(async () => {
    [alice, bob, carol, stranger, member] = await Promise.all([
      makeIdentity({ curve: "P-384", name: "CN=alice" }),
      makeIdentity({ curve: "P-256", name: "CN=bob" }),
      makeIdentity({ curve: "P-521", name: "CN=carol" }),
      makeIdentity({ name: "CN=stranger" }),
      makeIdentity({ name: "CN=member" }),
    ]);
  });
  beforeEach(() => {
    gov = new TestGov();
    gov.addUser(alice, { isAdmin: true });
    gov.addUser(bob);
    gov.addUser(carol);
    gov.addMember(member);
  });

  const run = (body: Uint8Array, headers: Record<string, string> = COSE): PolicyOutcome =>
    userCoseSign1.authenticate(contextFor(gov, { headers, body }));
  const failure = (outcome: PolicyOutcome): string => {
    assert.equal(outcome.ok ? undefined : outcome.challenge, COSE_CHALLENGE);
    return reasonOf(outcome);
  };
  const internal = (body: Uint8Array, message: string) =>
    assert.throws(
      () => run(body),
      (e: unknown) => e instanceof AuthInternalError && e.message === message,
      message,
    );
  const signedBy = (who: TestIdentity, kid = who.id, payload = Buffer.from("hello")) =>
    signCoseSign1({
      privateKeyPem: who.privateKeyPem,
      kid,
      protectedHeaders: { "ccf.msg.type": "greeting", "ccf.msg.created_at": 1_700_000_000 },
      payload,
    });

  it("verifies a message from client/cose.ts and gives {cose:{content}, policy, id, data, cert}", () => {
    const identity = identityOf(run(signedBy(alice, alice.id, Buffer.from("hello governance"))));
    assert.deepEqual(Object.keys(identity), ["cose", "policy", "id", "data", "cert"]);
    assert.deepEqual(identity, {
      cose: { content: new Uint8Array(Buffer.from("hello governance")) },
      policy: "user_cose_sign1",
      id: alice.id,
      data: { isAdmin: true },
      cert: alice.certPem,
    });
  });

  it("verifies hand-made ES256 and ES512 messages, with or without the ccf.msg headers", () => {
    const es256 = handMade({
      key: bob.privateKey,
      header: [
        [1, -7],
        [4, Buffer.from(bob.id)],
        ["ccf.msg.type", "x"],
        ["ccf.msg.created_at", 5],
      ],
      payload: Buffer.from([0, 1, 2, 255]),
    });
    const identity = identityOf(run(es256));
    assert.equal(identity["id"], bob.id);
    assert.equal(identity["data"], null);
    assert.deepEqual(identity["cose"], { content: new Uint8Array([0, 1, 2, 255]) });

    const es512 = handMade({
      key: carol.privateKey,
      header: [
        [1, -36],
        [4, Buffer.from(carol.id)],
      ],
      hash: "sha512",
    });
    assert.equal(identityOf(run(es512))["id"], carol.id);
  });

  it("refuses another user's kid, an unknown signer, a member, and a tampered payload", () => {
    assert.equal(failure(run(signedBy(alice, bob.id))), "Failed to validate COSE Sign1");
    assert.equal(failure(run(signedBy(stranger))), "Signer is not a known user");
    assert.equal(failure(run(signedBy(member))), "Signer is not a known user");

    const header: [number, unknown][] = [
      [1, -7],
      [4, Buffer.from(bob.id)],
    ];
    const genuine = handMade({ key: bob.privateKey, header, payload: Buffer.from("pay 1") });
    const [protectedBytes, , , signature] = (
      new Decoder({ mapsAsObjects: false }).decode(genuine) as Tag
    ).value as Uint8Array[];
    const tampered = enc(new Tag([protectedBytes, new Map(), Buffer.from("pay 9"), signature], 18));
    assert.equal(identityOf(run(genuine))["id"], bob.id);
    assert.equal(failure(run(tampered)), "Failed to validate COSE Sign1");
    const detached = enc(new Tag([protectedBytes, new Map(), null, signature], 18));
    assert.equal(failure(run(detached)), "Failed to validate COSE Sign1");
  });

  it("refuses a missing or different content type", () => {
    const body = signedBy(alice);
    assert.equal(failure(run(body, {})), "Missing content-type header");
    for (const type of [
      "application/json",
      "application/cose; charset=binary",
      "APPLICATION/COSE",
    ]) {
      assert.equal(
        failure(run(body, { "content-type": type })),
        "Content type is not set to application/cose",
        type,
      );
    }
  });

  it("refuses algorithms other than ES256/384/512, and kids that are not user ids", () => {
    const eddsa = enc(
      new Tag(
        [
          enc(
            new Map<number, unknown>([
              [1, -8],
              [4, Buffer.from(alice.id)],
            ]),
          ),
          new Map(),
          Buffer.from("x"),
          Buffer.alloc(64),
        ],
        18,
      ),
    );
    assert.equal(failure(run(eddsa)), "Unsupported algorithm: -8");
    const badUtf8 = handMade({
      key: bob.privateKey,
      header: [
        [1, -7],
        [4, Buffer.from([0xff, 0xfe])],
      ],
    });
    assert.equal(failure(run(badUtf8)), "Signer is not a known user");
  });

  it("raises CCF's decoding errors for bodies that are not a well-formed envelope", () => {
    const key = bob.privateKey;
    const kid: [number, unknown] = [4, Buffer.from(bob.id)];
    internal(Buffer.from("not cbor"), "Failed to parse COSE_Sign1 outer array");
    internal(new Uint8Array(0), "Failed to parse COSE_Sign1 outer array");
    internal(handMade({ key, header: [[1, -7], kid], tag: null }), "COSE_Sign1 is not tagged");
    internal(handMade({ key, header: [[1, -7], kid], tag: 98 }), "COSE_Sign1 is not tagged");
    internal(handMade({ key, header: [kid] }), "Missing algorithm in protected header");
    internal(handMade({ key, header: [[1, -7]] }), "Missing kid in protected header");
    internal(
      handMade({
        key,
        header: [
          [1, -7],
          [4, bob.id],
        ],
      }),
      "Failed to decode protected header: 4 is not a byte string",
    );
    internal(
      handMade({ key, header: [[1, "ES256"], kid] }),
      "Failed to decode protected header: 1 is not an integer",
    );
    internal(
      handMade({ key, header: [[1, -7], kid, ["ccf.msg.type", 3]] }),
      "Failed to decode protected header: ccf.msg.type is not a text string",
    );
    internal(
      handMade({ key, header: [[1, -7], kid, ["ccf.msg.created_at", "now"]] }),
      "Failed to decode protected header: ccf.msg.created_at is not an integer",
    );
  });

  it("follows governance: a removed user is refused at once", () => {
    const body = signedBy(alice);
    assert.equal(run(body).ok, true);
    gov.put(Tables.usersCerts, alice.id, undefined);
    assert.equal(failure(run(body)), "Signer is not a known user");
  });

  it("gives a copy of the payload, not a view of the request body", () => {
    const body = Uint8Array.from(signedBy(alice, alice.id, Buffer.from("original")));
    const content = (identityOf(run(body))["cose"] as { content: Uint8Array }).content;
    body.fill(0);
    assert.equal(Buffer.from(content).toString(), "original");
  });
});
