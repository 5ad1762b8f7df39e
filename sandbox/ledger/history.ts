/**
 * What the node keeps in memory of its ledger to issue receipts for any committed transaction,
 * recent or historical: the Merkle tree (leaf 0 all-zero, leaf i = transaction seqno i, as CCF's
 * tree), each transaction's write-set digest, claims digests, views, and the signatures.
 * About 100 bytes per transaction.
 */
import type { TxId } from "../kv/store.js";
import type { EntryDigests } from "./entry.js";
import { HASH_SIZE, HashArray, MerkleTree } from "./merkle.js";
import type { SignatureRecord } from "./signatures.js";

export class LedgerHistory {
  readonly tree = new MerkleTree();
  private readonly writeSetDigests = new HashArray();
  private readonly claims = new Map<number, Uint8Array>();
  /** View changes: the view in force from each `from` seqno on. */
  private readonly views: { from: number; view: number }[] = [];
  /** Signature transactions, by increasing seqno. */
  readonly signatures: SignatureRecord[] = [];
  /** The highest seqno known to be on disk (fdatasync'ed). */
  durableSeqno = 0;

  constructor() {
    // CCF's tree starts with one all-zero leaf, so that leaf i is the transaction at seqno i.
    this.tree.append(new Uint8Array(HASH_SIZE));
    this.writeSetDigests.push(new Uint8Array(HASH_SIZE));
  }

  get lastSeqno(): number {
    return this.tree.size - 1;
  }

  get lastTxId(): TxId | undefined {
    const seqno = this.lastSeqno;
    return seqno === 0 ? undefined : { view: this.viewOf(seqno)!, seqno };
  }

  get lastSignature(): SignatureRecord | undefined {
    return this.signatures[this.signatures.length - 1];
  }

  /** Records the next transaction. Throws RangeError unless it follows the last one. */
  add(id: TxId, digests: EntryDigests, signature?: SignatureRecord): void {
    const last = this.lastTxId;
    if (id.seqno !== this.lastSeqno + 1) {
      throw new RangeError(
        `Transaction ${id.view}.${id.seqno} does not follow seqno ${this.lastSeqno}.`,
      );
    }
    if (last && id.view < last.view) {
      throw new RangeError(`Transaction ${id.view}.${id.seqno} goes back from view ${last.view}.`);
    }
    if (!last || id.view !== last.view) this.views.push({ from: id.seqno, view: id.view });
    this.tree.append(digests.leaf);
    this.writeSetDigests.push(digests.writeSetDigest);
    const claims = digests.claimsDigest;
    for (let i = 0; i < claims.length; i++) {
      if (claims[i] !== 0) {
        this.claims.set(id.seqno, Uint8Array.from(claims));
        break;
      }
    }
    if (signature) this.signatures.push(signature);
  }

  viewOf(seqno: number): number | undefined {
    if (!Number.isInteger(seqno) || seqno < 1 || seqno > this.lastSeqno) return undefined;
    let lo = 0;
    let hi = this.views.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.views[mid]!.from <= seqno) lo = mid;
      else hi = mid - 1;
    }
    return this.views[lo]!.view;
  }

  writeSetDigest(seqno: number): Buffer {
    return this.writeSetDigests.at(seqno);
  }

  /** The claims digest of `seqno`'s leaf: 32 zero bytes when it set none. */
  claimsDigest(seqno: number): Uint8Array {
    return this.claims.get(seqno) ?? new Uint8Array(HASH_SIZE);
  }

  /**
   * The first durable signature at or after `seqno`: the one a receipt for `seqno` is issued
   * with. Undefined while no such signature is on disk.
   */
  coveringSignature(seqno: number): SignatureRecord | undefined {
    const list = this.signatures;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.seqno < seqno) lo = mid + 1;
      else hi = mid;
    }
    const found = list[lo];
    return found && found.seqno <= this.durableSeqno ? found : undefined;
  }
}
