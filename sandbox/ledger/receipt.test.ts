import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
// The ledger produces the receipts; they are checked by test-receipt-verifier.ts, which does not
// import the ledger.
import { Ledger } from "./ledger.js";
import { LedgerSecret } from "./secret.js";
import {
  makeIdentities,
  randomSecretBytes,
  sampleTransaction,
  tempDir,
  type TestIdentities,
} from "../../test/support/ledger-fixtures.js";
import { sha256, verifyReceipt, type ReceiptJson } from "../../test/support/receipt-verifier.js";

/** Write-set digests of the entries on disk, by seqno, read with the documented layout only. */
function digestsOnDisk(dir: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of readdirSync(dir).filter((n) => n.startsWith("ledger_"))) {
    const buf = readFileSync(join(dir, name));
    for (let offset = 8; offset < buf.length;) {
      const size = buf.readUInt32BE(offset + 4);
      const seqno = Number(buf.readBigUInt64BE(offset + 16));
      out.set(seqno, sha256(buf.subarray(offset, offset + size - 32)).toString("hex"));
      offset += size;
    }
  }
  return out;
}

describe("ledger/receipt", () => {
  const VIEW = 2;
  let ids: TestIdentities;
  let dir: string;
  let remove: () => void;
  let ledger: Ledger;
  let secret: LedgerSecret;

  before(async () => {
    ids = await makeIdentities();
  });
  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    secret = new LedgerSecret(randomSecretBytes());
    ({ ledger } = await Ledger.open({ dir, secret, serviceCertPem: ids.serviceCertPem }));
  });
  afterEach(async () => {
    await ledger.close();
    remove();
  });

  /** Appends transactions up to `last`, with a signature every `sigEvery`. */
  async function fill(last: number, sigEvery = 10): Promise<void> {
    const durable: Promise<void>[] = [];
    for (let seqno = ledger.history.lastSeqno + 1; seqno <= last; seqno++) {
      const tx =
        seqno % sigEvery === 0
          ? ledger.signatureTransaction(ids.node, VIEW)
          : sampleTransaction(VIEW, seqno);
      durable.push(ledger.append(tx));
    }
    await Promise.all(durable);
  }

  it("issues receipts that verify independently, for every transaction", async () => {
    await fill(100);
    const onDisk = digestsOnDisk(dir);
    for (let seqno = 1; seqno <= 100; seqno++) {
      const receipt = ledger.receipt(seqno) as ReceiptJson;
      assert.ok(receipt, `receipt for ${seqno}`);
      verifyReceipt(receipt, ids.serviceCertPem);
      if (seqno % 10 === 0) continue;
      const { leaf_components } = receipt;
      assert.match(leaf_components!.commit_evidence, new RegExp(`^ce:2\\.${seqno}:[0-9a-f]{64}$`));
      assert.equal(leaf_components!.write_set_digest, onDisk.get(seqno), "digest of the entry");
    }
  });

  it("has CCF's JSON shape for ordinary and signature transactions", async () => {
    await fill(20);
    const ordinary = ledger.receipt(13)!;
    assert.deepEqual(Object.keys(ordinary), [
      "cert",
      "leaf_components",
      "node_id",
      "proof",
      "signature",
    ]);
    assert.deepEqual(Object.keys(ordinary.leaf_components!), [
      "claims_digest",
      "commit_evidence",
      "write_set_digest",
    ]);
    assert.equal(ordinary.leaf_components!.claims_digest, "0".repeat(64));
    assert.equal(ordinary.cert, ids.node.certPem);
    assert.ok(ordinary.proof.length > 0);
    const signature = ledger.receipt(20)!;
    assert.deepEqual(Object.keys(signature), ["cert", "leaf", "node_id", "proof", "signature"]);
    assert.deepEqual(signature.proof, []);
    // The signature transaction's leaf is the root it signs, as in CCF.
    assert.equal(signature.leaf, ledger.history.tree.root(20).toString("hex"));
  });

  it("carries the application's claims digest", async () => {
    await fill(20);
    const receipt = ledger.receipt(14)!; // sampleTransaction sets claims on multiples of 7
    const expected = sha256(Buffer.from("claim 14")).toString("hex");
    assert.equal(receipt.leaf_components!.claims_digest, expected);
    verifyReceipt(receipt as ReceiptJson, ids.serviceCertPem);
  });

  it("gives historical receipts with the first signature after the transaction", async () => {
    await fill(200);
    const receipt = ledger.receipt(3)!;
    verifyReceipt(receipt as ReceiptJson, ids.serviceCertPem);
    const signatureTx = ledger.history.signatures.find((s) => s.seqno === 10)!;
    assert.equal(receipt.signature, signatureTx.signature.toString("base64"));
  });

  it("gives no receipt before a durable signature covers the transaction", async () => {
    await fill(9);
    assert.equal(ledger.receipt(5), undefined, "no signature yet");
    const sig = ledger.signatureTransaction(ids.node, VIEW);
    const durable = ledger.append(sig);
    assert.equal(ledger.receipt(5), undefined, "signature not yet on disk");
    await durable;
    assert.ok(ledger.receipt(5));
    assert.equal(ledger.receipt(11), undefined, "no such transaction");
    assert.equal(ledger.receipt(0), undefined);
  });

  it("gives the same receipts after a restart (replayed history)", async () => {
    await fill(50);
    const before = [7, 30, 49, 50].map((seqno) => ledger.receipt(seqno));
    await ledger.close();
    ({ ledger } = await Ledger.open({ dir, secret, serviceCertPem: ids.serviceCertPem }));
    const after = [7, 30, 49, 50].map((seqno) => ledger.receipt(seqno));
    assert.deepEqual(after, before);
    for (const receipt of after) verifyReceipt(receipt as ReceiptJson, ids.serviceCertPem);
  });

  it("a tampered receipt fails verification", async () => {
    await fill(40);
    const good = ledger.receipt(17)! as ReceiptJson;
    verifyReceipt(good, ids.serviceCertPem);
    const copy = () => JSON.parse(JSON.stringify(good)) as ReceiptJson;
    const flipHex = (hex: string) => (hex[0] === "0" ? "1" : "0") + hex.slice(1);

    const proof = copy();
    const step = proof.proof[0]!;
    if ("left" in step) step.left = flipHex(step.left);
    else step.right = flipHex(step.right);
    assert.throws(() => verifyReceipt(proof, ids.serviceCertPem), /signature/);

    for (const field of ["write_set_digest", "claims_digest"] as const) {
      const leaf = copy();
      leaf.leaf_components![field] = flipHex(leaf.leaf_components![field]);
      assert.throws(() => verifyReceipt(leaf, ids.serviceCertPem), /signature/, field);
    }
    const evidence = copy();
    evidence.leaf_components!.commit_evidence = evidence.leaf_components!.commit_evidence.replace(
      "ce:2.17:",
      "ce:2.18:",
    );
    assert.throws(() => verifyReceipt(evidence, ids.serviceCertPem), /signature/);

    const signature = copy();
    const sig = Buffer.from(signature.signature, "base64");
    sig[sig.length - 1] = sig[sig.length - 1]! ^ 1;
    signature.signature = sig.toString("base64");
    assert.throws(() => verifyReceipt(signature, ids.serviceCertPem), /signature/);

    const rogue = copy();
    rogue.cert = ids.rogueCertPem; // same key, but not issued by the service
    assert.throws(() => verifyReceipt(rogue, ids.serviceCertPem), /endorsed/);
  });
});
