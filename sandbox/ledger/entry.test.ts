import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  decodeEntry,
  encodeEntry,
  EntryError,
  FLAG_PRIVATE,
  readHeader,
  type EntryHeader,
  type LedgerTransaction,
} from "./entry.js";
import { LedgerSecret } from "./secret.js";
import { randomSecretBytes, sampleTransaction } from "../../test/support/ledger-fixtures.js";

const secret = new LedgerSecret(randomSecretBytes());

function decode(bytes: Buffer, withSecret = secret) {
  const header = readHeader(bytes, 0);
  assert.ok(header && typeof header !== "string", `header: ${String(header)}`);
  return decodeEntry(bytes, 0, header as EntryHeader, withSecret);
}

function flip(bytes: Buffer, index: number, mask = 1): void {
  bytes[index] = bytes[index]! ^ mask;
}

/** Rewrites the trailing write-set digest after a deliberate change, as a careful forger would. */
function redigest(bytes: Buffer): void {
  const end = bytes.length - 32;
  createHash("sha256").update(bytes.subarray(0, end)).digest().copy(bytes, end);
}

describe("ledger/entry", () => {
  it("round-trips public and private writes, removals, binary keys and claims", () => {
    for (let seqno = 1; seqno <= 21; seqno++) {
      const tx = sampleTransaction(2, seqno);
      const encoded = encodeEntry(tx, secret);
      const decoded = decode(encoded.bytes);
      assert.deepEqual(decoded.transaction, tx);
      assert.deepEqual(decoded.writeSetDigest, encoded.writeSetDigest);
      assert.deepEqual(decoded.leaf, encoded.leaf);
      assert.equal(decoded.size, encoded.bytes.length);
    }
  });

  it("is deterministic and independent of the order tables were written in", () => {
    const tx = sampleTransaction(3, 14);
    const reversed: LedgerTransaction = {
      ...tx,
      writes: new Map([...tx.writes].reverse()),
    };
    assert.deepEqual(encodeEntry(tx, secret).bytes, encodeEntry(tx, secret).bytes);
    assert.deepEqual(encodeEntry(reversed, secret).bytes, encodeEntry(tx, secret).bytes);
  });

  it("keeps private values out of the clear and public values in it", () => {
    const { bytes } = encodeEntry(sampleTransaction(2, 5), secret);
    assert.ok(bytes.includes("PUBLIC-VALUE-5"));
    assert.ok(!bytes.includes("PRIVATE-VALUE-5"));
    assert.ok(!bytes.includes("app.secrets"), "private table names are encrypted too");
    assert.equal(bytes[1]! & FLAG_PRIVATE, FLAG_PRIVATE);
  });

  it("builds the leaf from write-set digest, commit evidence digest and claims digest", () => {
    const tx = sampleTransaction(2, 7);
    const encoded = encodeEntry(tx, secret);
    const evidence = secret.commitEvidence(2, 7);
    assert.match(evidence, /^ce:2\.7:[0-9a-f]{64}$/);
    const expected = createHash("sha256")
      .update(encoded.writeSetDigest)
      .update(createHash("sha256").update(evidence).digest())
      .update(tx.claimsDigest!)
      .digest();
    assert.deepEqual(encoded.leaf, expected);
    const noClaims = encodeEntry(sampleTransaction(2, 8), secret);
    assert.deepEqual(noClaims.claimsDigest, new Uint8Array(32));
  });

  it("detects a modified byte by the write-set digest", () => {
    const { bytes } = encodeEntry(sampleTransaction(2, 5), secret);
    flip(bytes, bytes.indexOf("PUBLIC-VALUE-5"));
    assert.throws(
      () => decode(bytes),
      (e: Error) => e instanceof EntryError && /digest/.test(e.message),
    );
  });

  it("detects modified ciphertext by the GCM tag even with a recomputed digest", () => {
    const { bytes } = encodeEntry(sampleTransaction(2, 5), secret);
    flip(bytes, bytes.length - 40, 0x80); // inside the private ciphertext
    redigest(bytes);
    assert.throws(() => decode(bytes), /AES-GCM/);
  });

  it("binds the private domain to its entry (public part is additional data)", () => {
    const { bytes } = encodeEntry(sampleTransaction(2, 5), secret);
    flip(bytes, bytes.indexOf("PUBLIC-VALUE-5"));
    redigest(bytes);
    assert.throws(() => decode(bytes), /AES-GCM/);
  });

  it("cannot be decrypted with another ledger secret", () => {
    const { bytes } = encodeEntry(sampleTransaction(2, 5), secret);
    assert.throws(() => decode(bytes, new LedgerSecret(randomSecretBytes())), /AES-GCM/);
  });

  it("reads headers: too short, bad version, bad size", () => {
    const { bytes } = encodeEntry(sampleTransaction(2, 9), secret);
    assert.equal(readHeader(bytes.subarray(0, 10), 0), undefined);
    const header = readHeader(bytes, 0) as EntryHeader;
    assert.deepEqual(
      { view: header.view, seqno: header.seqno, size: header.size },
      { view: 2, seqno: 9, size: bytes.length },
    );
    const badVersion = Buffer.from(bytes);
    badVersion[0] = 9;
    assert.match(String(readHeader(badVersion, 0)), /version/);
    const badSize = Buffer.from(bytes);
    badSize.writeUInt32BE(3, 4);
    assert.match(String(readHeader(badSize, 0)), /size/);
  });

  it("rejects malformed transactions with TypeError or RangeError", () => {
    assert.throws(() => encodeEntry({ view: 2, seqno: 0, writes: new Map() }, secret), RangeError);
    assert.throws(() => encodeEntry({ view: -1, seqno: 1, writes: new Map() }, secret), RangeError);
    assert.throws(() => encodeEntry({ view: 2, seqno: 1, writes: {} as never }, secret), TypeError);
    assert.throws(
      () =>
        encodeEntry(
          { view: 2, seqno: 1, writes: new Map(), claimsDigest: new Uint8Array(3) },
          secret,
        ),
      RangeError,
    );
  });

  it("handles large views and seqnos", () => {
    const tx = sampleTransaction(2 ** 40 + 3, 2 ** 45 + 1);
    assert.deepEqual(decode(encodeEntry(tx, secret).bytes).transaction, tx);
  });
});
