import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { p384 } from "@noble/curves/nist.js";
import { makeIdentities, type TestIdentities } from "../test/support/ledger-fixtures.js";
import { ReceiptError, receiptRoot, verifyReceipt, type ReceiptJson } from "./receipts.js";

const h = (...parts: Buffer[]) => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest();
};

describe("client/receipts", () => {
  let ids: TestIdentities;
  let good: ReceiptJson;

  /** A receipt made by hand: a leaf from its components, two proof steps, the node's signature. */
  before(async () => {
    ids = await makeIdentities();
    const components = {
      write_set_digest: randomBytes(32).toString("hex"),
      commit_evidence: `ce:2.7:${randomBytes(32).toString("hex")}`,
      claims_digest: "00".repeat(32),
    };
    const left = randomBytes(32);
    const right = randomBytes(32);
    const leaf = h(
      Buffer.from(components.write_set_digest, "hex"),
      h(Buffer.from(components.commit_evidence)),
      Buffer.from(components.claims_digest, "hex"),
    );
    const root = h(h(left, leaf), right);
    const d = Buffer.from(ids.node.privateKey.export({ format: "jwk" }).d!, "base64url");
    const signature = p384.sign(root, d, { prehash: false, format: "der" });
    good = {
      cert: ids.node.certPem,
      node_id: ids.node.nodeId,
      leaf_components: components,
      proof: [{ left: left.toString("hex") }, { right: right.toString("hex") }],
      signature: Buffer.from(signature).toString("base64"),
    };
  });

  const copy = () => structuredClone(good);
  const fails = (receipt: unknown, pattern: RegExp) =>
    assert.throws(
      () => verifyReceipt(receipt as ReceiptJson, ids.serviceCertPem),
      (e: unknown) => e instanceof ReceiptError && pattern.test(e.message),
    );

  it("verifies a receipt built by CCF's rules", () => {
    verifyReceipt(good, ids.serviceCertPem);
    assert.equal(receiptRoot(good).length, 32);
  });

  it("names the check a tampered receipt fails", () => {
    const step = copy();
    step.proof.reverse();
    fails(step, /signature/);
    const evidence = copy();
    evidence.leaf_components!.commit_evidence += "0";
    fails(evidence, /signature/);
    const node = copy();
    node.node_id = "ab".repeat(32);
    fails(node, /node id/);
    const rogue = copy();
    rogue.cert = ids.rogueCertPem;
    fails(rogue, /endorsed/);
  });

  it("refuses malformed receipts with a ReceiptError, never a TypeError", () => {
    fails({}, /proof/);
    fails({ ...copy(), proof: [{ left: "xyz" }] }, /proof step/);
    fails({ ...copy(), proof: [null] }, /proof step/);
    fails({ ...copy(), leaf_components: undefined }, /leaf/);
    fails({ ...copy(), leaf_components: undefined, leaf: "00".repeat(32) }, /empty proof/);
    fails({ ...copy(), cert: "not a certificate" }, /not a PEM certificate/);
    fails({ ...copy(), signature: 42 }, /signature/);
    fails({ ...copy(), signature: "bm90IERFUg==" }, /signature/);
    assert.throws(() => verifyReceipt(good, "not a certificate"), ReceiptError);
  });
});
