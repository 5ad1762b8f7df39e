/**
 * The ledger's append-only SHA-256 Merkle tree, with the shape of CCF's tree (merklecpp, see
 * ccf-runtime.md §6 and CCF's doc/architecture/merkle_tree.rst): at every level nodes are paired
 * left to right, parent = SHA-256(left ‖ right), and an unpaired last node is promoted to the next
 * level unchanged (it is not hashed with itself, and the tree is not split at powers of two as in
 * RFC 6962). Inclusion proofs are CCF's receipt `proof` lists: `{left: hex}` means
 * `h = SHA-256(left ‖ h)`, `{right: hex}` means `h = SHA-256(h ‖ right)`.
 *
 * Storage: for every level, the hashes of its *complete* nodes (perfect subtrees), contiguous in
 * one growable buffer. A complete node never changes once the tree grows, so appending costs
 * amortised O(1) hashes (one new complete node per level at most, two hashes on average), and the
 * root or a proof for any earlier tree size costs O(log n): only the nodes on the right edge of
 * that size are partial and they are recomputed on demand.
 */
import { hash } from "node:crypto";

export const HASH_SIZE = 32;

/** One step of an inclusion proof, as in CCF receipts. */
export type ProofStep = { left: string } | { right: string };

/** A growable array of 32-byte hashes, stored back to back. */
export class HashArray {
  private buf = Buffer.allocUnsafe(HASH_SIZE * 1024);
  length = 0;

  push(value: Uint8Array): void {
    if ((this.length + 1) * HASH_SIZE > this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.length * HASH_SIZE);
      this.buf = bigger;
    }
    this.buf.set(value, this.length * HASH_SIZE);
    this.length++;
  }

  /** A view of hash `i` (valid until the next push). */
  at(i: number): Buffer {
    return this.buf.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }

  copyTo(i: number, target: Buffer, offset: number): void {
    this.buf.copy(target, offset, i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }
}

/** The largest tree this implementation indexes (node indices stay 32-bit safe). */
const MAX_LEAVES = 2 ** 31 - 1;

export class MerkleTree {
  /** levels[k] holds the complete nodes of level k (level 0: the leaves). */
  private readonly levels: HashArray[] = [new HashArray()];
  private readonly scratch = Buffer.allocUnsafe(2 * HASH_SIZE);

  get size(): number {
    return this.levels[0]!.length;
  }

  private pair(left: Uint8Array, right: Uint8Array): Buffer {
    this.scratch.set(left, 0);
    this.scratch.set(right, HASH_SIZE);
    return hash("sha256", this.scratch, "buffer");
  }

  private pairStored(level: HashArray, i: number): Buffer {
    level.copyTo(i, this.scratch, 0);
    level.copyTo(i + 1, this.scratch, HASH_SIZE);
    return hash("sha256", this.scratch, "buffer");
  }

  append(leaf: Uint8Array): void {
    if (leaf.byteLength !== HASH_SIZE) throw new RangeError("A Merkle leaf is 32 bytes.");
    if (this.size >= MAX_LEAVES) throw new RangeError("The Merkle tree is full.");
    this.levels[0]!.push(leaf);
    // A node with an odd index completes its parent: hash the pair up, level by level.
    let index = this.size - 1;
    let k = 0;
    while (index & 1) {
      const parent = this.pairStored(this.levels[k]!, index - 1);
      k++;
      if (this.levels.length === k) this.levels.push(new HashArray());
      this.levels[k]!.push(parent);
      index >>>= 1;
    }
  }

  /** A copy of leaf `index`. */
  leaf(index: number): Buffer {
    this.checkIndex(index, this.size);
    return Buffer.from(this.levels[0]!.at(index));
  }

  private checkSize(size: number): void {
    if (!Number.isInteger(size) || size < 1 || size > this.size) {
      throw new RangeError(`Tree size ${size} is outside 1..${this.size}.`);
    }
  }

  private checkIndex(index: number, size: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      throw new RangeError(`Leaf ${index} is outside 0..${size - 1}.`);
    }
  }

  /**
   * The hash of the last node of every level in the tree of the first `size` leaves, from the
   * leaves up to the root (`edge[edge.length - 1]`).
   */
  private rightEdge(size: number): Buffer[] {
    const edge: Buffer[] = [Buffer.from(this.levels[0]!.at(size - 1))];
    let count = size;
    let k = 0;
    while (count > 1) {
      const last = edge[k]!;
      const nextCount = Math.ceil(count / 2);
      if (count % 2 === 1) {
        edge.push(last); // promoted unchanged
      } else if (size % 2 ** (k + 1) === 0) {
        edge.push(Buffer.from(this.levels[k + 1]!.at(nextCount - 1))); // complete: stored
      } else {
        edge.push(this.pair(this.levels[k]!.at(count - 2), last));
      }
      count = nextCount;
      k++;
    }
    return edge;
  }

  /** The root of the tree made of the first `size` leaves (default: all of them). */
  root(size = this.size): Buffer {
    this.checkSize(size);
    const edge = this.rightEdge(size);
    return edge[edge.length - 1]!;
  }

  /** The inclusion proof of leaf `index` in the tree made of the first `size` leaves. */
  proof(index: number, size = this.size): ProofStep[] {
    this.checkSize(size);
    this.checkIndex(index, size);
    const edge = this.rightEdge(size);
    const steps: ProofStep[] = [];
    let position = index;
    let count = size;
    for (let k = 0; count > 1; k++) {
      const level = this.levels[k]!;
      if (position & 1) {
        steps.push({ left: level.at(position - 1).toString("hex") });
      } else if (position + 1 < count) {
        const sibling = position + 1 === count - 1 ? edge[k]! : level.at(position + 1);
        steps.push({ right: sibling.toString("hex") });
      } // else: the last node of an odd level, promoted without a sibling
      position >>>= 1;
      count = Math.ceil(count / 2);
    }
    return steps;
  }

  /**
   * merklecpp's serialisation of the tree of leaves `0..to`, retaining leaves `from..to` and
   * summarising `0..from-1` by the roots of its flushed subtrees (CCF's `public:ccf.internal.tree`,
   * doc/architecture/merkle_tree.rst): big-endian u64 number of retained leaves, u64 `from`, the
   * retained leaf hashes, then for each set bit i of `from` (lowest first) the root of the flushed
   * subtree of 2^i leaves.
   */
  serialise(from: number, to: number): Buffer {
    this.checkIndex(to, this.size);
    if (!Number.isInteger(from) || from < 0 || from > to) {
      throw new RangeError(`Serialised range ${from}..${to} is empty or invalid.`);
    }
    const retained = to - from + 1;
    let flushed = 0;
    for (let bits = from; bits > 0; bits = Math.floor(bits / 2)) flushed += bits % 2;
    const out = Buffer.allocUnsafe(16 + (retained + flushed) * HASH_SIZE);
    out.writeBigUInt64BE(BigInt(retained), 0);
    out.writeBigUInt64BE(BigInt(from), 8);
    let offset = 16;
    for (let i = from; i <= to; i++, offset += HASH_SIZE) this.levels[0]!.copyTo(i, out, offset);
    for (let k = 0; 2 ** k <= from; k++) {
      const nodes = Math.floor(from / 2 ** k);
      if (nodes % 2 === 1) {
        this.levels[k]!.copyTo(nodes - 1, out, offset);
        offset += HASH_SIZE;
      }
    }
    return out;
  }
}
