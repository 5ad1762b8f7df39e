import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, randomBytes, verify } from "node:crypto";
import { SIGNATURES_TABLE, TREE_TABLE } from "./entry.js";
import {
  nodeIdOf,
  parseSignatureWrites,
  SignatureScheduler,
  signatureWrites,
  signRoot,
  SINGLE_VALUE_KEY,
  verifyRootSignature,
  type SignatureRecord,
} from "./signatures.js";
import { makeIdentities, type TestIdentities } from "../../test/support/ledger-fixtures.js";

describe("ledger/signatures", () => {
  let ids: TestIdentities;
  before(async () => {
    ids = await makeIdentities();
  });

  it("signs the root as the digest, DER-encoded, as OpenSSL's ECDSA over a SHA-256 digest", () => {
    // Signing SHA-256(m) as the digest is exactly ECDSA-with-SHA256 over m: node:crypto checks it.
    const message = randomBytes(100);
    const digest = createHash("sha256").update(message).digest();
    const signature = signRoot(digest, ids.node.privateKey);
    assert.equal(signature[0], 0x30, "DER SEQUENCE");
    assert.equal(signature[1], signature.length - 2);
    assert.ok(verify("sha256", message, ids.node.privateKey, signature));
    assert.ok(verifyRootSignature(digest, signature, ids.node.certPem));
    const other = Buffer.from(digest);
    other[0] = other[0]! ^ 1;
    assert.equal(verifyRootSignature(other, signature, ids.node.certPem), false);
  });

  it("rejects keys that are not EC P-384", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    assert.throws(() => signRoot(new Uint8Array(32), privateKey), TypeError);
    assert.throws(() => signRoot(new Uint8Array(31), ids.node.privateKey), RangeError);
    assert.equal(
      verifyRootSignature(new Uint8Array(32), Buffer.from("junk"), ids.node.certPem),
      false,
    );
  });

  it("derives CCF's node id from the certificate's public key", () => {
    assert.equal(nodeIdOf(ids.node.privateKey), ids.node.nodeId);
  });

  it("writes CCF's PrimarySignature JSON and the tree under the single-value key", () => {
    const record: SignatureRecord = {
      view: 2,
      seqno: 11,
      root: randomBytes(32),
      signature: signRoot(randomBytes(32), ids.node.privateKey),
      nodeId: ids.node.nodeId,
      certPem: ids.node.certPem,
    };
    const tree = randomBytes(80);
    const writes = signatureWrites(record, tree);
    assert.equal(SINGLE_VALUE_KEY, "\0".repeat(8));
    const json = JSON.parse(
      Buffer.from(writes.get(SIGNATURES_TABLE)!.get(SINGLE_VALUE_KEY)!).toString(),
    ) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), [
      "cert",
      "commit_seqno",
      "commit_view",
      "hashed_nonce",
      "node",
      "root",
      "seqno",
      "sig",
      "view",
    ]);
    assert.equal(json.root, record.root.toString("hex"));
    assert.equal(json.sig, record.signature.toString("base64"));
    assert.equal(json.hashed_nonce, "0".repeat(64));
    assert.deepEqual(Buffer.from(writes.get(TREE_TABLE)!.get(SINGLE_VALUE_KEY)!), tree);
    assert.deepEqual(parseSignatureWrites(writes), record);
  });

  it("schedules a signature after txCount transactions", async () => {
    let due = 0;
    const scheduler = new SignatureScheduler({ txCount: 3, delayMs: 60_000 }, () => due++);
    scheduler.committed(false);
    scheduler.committed(false);
    await Promise.resolve();
    assert.equal(due, 0);
    scheduler.committed(false);
    assert.equal(due, 0, "not in the middle of the committing handler");
    await Promise.resolve();
    assert.equal(due, 1);
    scheduler.committed(true);
    assert.equal(scheduler.pending, 0);
    scheduler.stop();
  });

  it("schedules a signature after the delay when fewer transactions came", async () => {
    const fired = new Promise<void>((resolve) => {
      const scheduler = new SignatureScheduler({ txCount: 1000, delayMs: 5 }, () => {
        scheduler.stop();
        resolve();
      });
      scheduler.committed(false);
    });
    await fired; // resolves only through the timer
  });

  it("does not fire once the signature is committed, nor when idle", async () => {
    let due = 0;
    const scheduler = new SignatureScheduler({ txCount: 1000, delayMs: 1 }, () => due++);
    scheduler.committed(false);
    scheduler.committed(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(due, 0);
    scheduler.stop();
    assert.throws(() => new SignatureScheduler({ txCount: 0 }, () => {}), RangeError);
  });
});
