import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { MerkleTree, type ProofStep } from "./merkle.js";

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const part of parts) h.update(part);
  return h.digest();
};

const leafOf = (i: number) => sha256(Buffer.from(`leaf ${i}`));

/** Reference: build every level from scratch, pairing left to right, promoting a lone last node. */
function referenceRoot(leaves: Buffer[]): Buffer {
  let level = leaves;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(sha256(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/** Folds a proof as CCF's python `ccf.receipt.root` does. */
function fold(leaf: Buffer, proof: ProofStep[]): Buffer {
  let current = leaf;
  for (const step of proof) {
    current =
      "left" in step
        ? sha256(Buffer.from(step.left, "hex"), current)
        : sha256(current, Buffer.from(step.right, "hex"));
  }
  return current;
}

/** Reference deserialiser of merklecpp's format, following merkle_tree.rst. */
function rootOfSerialised(bytes: Buffer): Buffer {
  const retained = Number(bytes.readBigUInt64BE(0));
  const flushed = Number(bytes.readBigUInt64BE(8));
  let offset = 16;
  const leaves: Buffer[] = [];
  for (let i = 0; i < retained; i++, offset += 32) leaves.push(bytes.subarray(offset, offset + 32));
  const flushedRoots = new Map<number, Buffer>();
  for (let k = 0, bits = flushed; bits > 0; k++, bits = Math.floor(bits / 2)) {
    if (bits % 2 === 1) {
      flushedRoots.set(k, bytes.subarray(offset, offset + 32));
      offset += 32;
    }
  }
  assert.equal(offset, bytes.length);
  let level = leaves;
  for (let k = 0; ; k++) {
    const lead = flushedRoots.get(k);
    if (lead) level = [lead, ...level];
    const higher = [...flushedRoots.keys()].some((key) => key > k);
    if (level.length === 1 && !higher) return level[0]!;
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(sha256(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
}

describe("ledger/merkle", () => {
  it("matches a from-scratch tree for every size, and every proof folds to the root", () => {
    const tree = new MerkleTree();
    const leaves: Buffer[] = [];
    for (let n = 1; n <= 70; n++) {
      leaves.push(leafOf(n));
      tree.append(leaves[n - 1]!);
      const expected = referenceRoot(leaves);
      assert.deepEqual(tree.root(), expected, `root of ${n} leaves`);
      for (let i = 0; i < n; i++) assert.deepEqual(fold(leaves[i]!, tree.proof(i)), expected);
    }
  });

  it("gives roots and proofs for earlier sizes of a grown tree", () => {
    const tree = new MerkleTree();
    const leaves = Array.from({ length: 300 }, (_, i) => leafOf(i));
    for (const leaf of leaves) tree.append(leaf);
    for (const size of [1, 2, 3, 7, 64, 65, 129, 200, 255, 256, 299, 300]) {
      const expected = referenceRoot(leaves.slice(0, size));
      assert.deepEqual(tree.root(size), expected, `root of size ${size}`);
      for (const i of [0, 1, Math.floor(size / 2), size - 2, size - 1].filter(
        (x) => x >= 0 && x < size,
      )) {
        assert.deepEqual(fold(leaves[i]!, tree.proof(i, size)), expected, `${i} in ${size}`);
      }
    }
  });

  it("uses CCF's proof directions (the last leaf of 501 has six left siblings)", () => {
    // CCF's verify_tx.rst example: tx 2.500 signed at 2.501 (leaf 0 is the all-zero leaf).
    const tree = new MerkleTree();
    for (let i = 0; i <= 500; i++) tree.append(leafOf(i));
    const proof = tree.proof(500);
    assert.equal(proof.length, 6);
    assert.ok(proof.every((step) => "left" in step));
  });

  it("serialises like merklecpp: the retained leaves and flushed subtree roots rebuild the root", () => {
    const tree = new MerkleTree();
    for (let i = 0; i < 100; i++) tree.append(leafOf(i));
    for (const [from, to] of [
      [0, 0],
      [0, 10],
      [5, 10],
      [6, 11],
      [7, 7],
      [64, 99],
      [37, 88],
    ] as const) {
      const bytes = tree.serialise(from, to);
      assert.equal(Number(bytes.readBigUInt64BE(0)), to - from + 1);
      assert.equal(Number(bytes.readBigUInt64BE(8)), from);
      assert.deepEqual(bytes.subarray(16, 48), leafOf(from));
      assert.deepEqual(rootOfSerialised(bytes), tree.root(to + 1), `${from}..${to}`);
    }
  });

  it("rejects bad leaves, sizes and indices", () => {
    const tree = new MerkleTree();
    assert.throws(() => tree.append(new Uint8Array(31)), RangeError);
    assert.throws(() => tree.root(), RangeError);
    tree.append(leafOf(0));
    assert.throws(() => tree.proof(1), RangeError);
    assert.throws(() => tree.root(2), RangeError);
    assert.throws(() => tree.serialise(1, 0), RangeError);
    assert.deepEqual(tree.proof(0), []);
    assert.deepEqual(tree.root(), leafOf(0));
  });

  it("keeps its leaves intact across buffer growth", () => {
    const tree = new MerkleTree();
    for (let i = 0; i < 5000; i++) tree.append(leafOf(i));
    assert.deepEqual(tree.leaf(0), leafOf(0));
    assert.deepEqual(tree.leaf(4999), leafOf(4999));
    assert.deepEqual(fold(leafOf(1234), tree.proof(1234)), tree.root());
  });
});
