/**
 * Where committed transactions go: the versioned store (what requests read) and the ledger (what
 * survives: files, Merkle tree, signatures, receipts). Every write set the node commits passes
 * through here, so the two always hold the same transactions with the same ids.
 *
 * A transaction is acknowledged once it is durable (`durable` resolves after its fdatasync), and
 * reported Committed once a durable signature covers it, as CCF reports commit.
 */
import type { KeyObject } from "node:crypto";
import type { Store, TxId, WriteSet } from "../kv/store.js";
import {
  Ledger,
  SignatureScheduler,
  type LedgerSecret,
  type Receipt,
  type SignatureSchedule,
  type TornTail,
} from "../ledger/index.js";

export type TxStatus = "Unknown" | "Pending" | "Committed" | "Invalid";

export interface CommitLogOptions {
  store: Store;
  /** `<workspace>/ledger` */
  dir: string;
  secret: LedgerSecret;
  serviceCertPem: string;
  /** The node's identity, which signs the Merkle root. */
  node: { nodeId: string; certPem: string; privateKey: KeyObject | string };
  schedule: Partial<SignatureSchedule>;
  /** Called if a ledger write fails: nothing more can be acknowledged. */
  onFailure: (error: Error) => void;
}

export interface Restored {
  /** Transactions replayed from the ledger into the store. */
  transactions: number;
  /** A torn last write that was cut off (a crash in the middle of an append). */
  torn: TornTail | undefined;
}

export class CommitLog {
  private readonly scheduler: SignatureScheduler;

  private constructor(
    readonly store: Store,
    private readonly ledger: Ledger,
    private readonly options: CommitLogOptions,
  ) {
    this.scheduler = new SignatureScheduler(options.schedule, () => this.sign());
  }

  /** Replays the ledger into the (empty) store, then opens it for new transactions. */
  static async open(options: CommitLogOptions): Promise<{ log: CommitLog; restored: Restored }> {
    const { store } = options;
    let transactions = 0;
    const { ledger, replay } = await Ledger.open({
      dir: options.dir,
      secret: options.secret,
      serviceCertPem: options.serviceCertPem,
      onTransaction: (tx) => {
        const id = store.commit(tx.writes);
        if (id.seqno !== tx.seqno || id.view !== tx.view) {
          throw new Error(
            `Ledger transaction ${tx.view}.${tx.seqno} replayed as ${id.view}.${id.seqno}`,
          );
        }
        transactions++;
      },
    });
    const log = new CommitLog(store, ledger, options);
    // Transactions acknowledged before a crash but not yet signed are signed now.
    if (replay.unsignedTail > 0) log.sign();
    return { log, restored: { transactions, torn: replay.torn } };
  }

  /** Commits a write set as the next transaction; `durable` resolves once it is on disk. */
  commit(writes: WriteSet, claimsDigest?: Uint8Array): { id: TxId; durable: Promise<void> } {
    const id = this.store.commit(writes);
    const durable = this.append({ ...id, writes, claimsDigest });
    this.scheduler.committed(false);
    return { id, durable };
  }

  private append(tx: Parameters<Ledger["append"]>[0]): Promise<void> {
    const durable = this.ledger.append(tx);
    durable.catch((error: Error) => this.options.onFailure(error));
    return durable;
  }

  /** Writes a signature transaction over every transaction so far. */
  private sign(): void {
    if (this.ledger.failed) return;
    const signature = this.ledger.signatureTransaction(this.options.node, this.store.view);
    this.store.commit(signature.writes);
    void this.append(signature).catch(() => undefined);
    this.scheduler.committed(true);
  }

  /** The last transaction covered by a durable signature: what CCF reports as committed. */
  get committedTxId(): TxId {
    const durable = this.ledger.durableSeqno;
    const signatures = this.ledger.history.signatures;
    for (let i = signatures.length - 1; i >= 0; i--) {
      const signature = signatures[i]!;
      if (signature.seqno <= durable) return { view: signature.view, seqno: signature.seqno };
    }
    return { view: this.store.view, seqno: 0 };
  }

  status(id: TxId): TxStatus {
    const view = this.store.viewForSeqno(id.seqno);
    if (view === undefined) return id.view < this.store.view ? "Invalid" : "Unknown";
    if (view !== id.view) return "Invalid";
    return id.seqno <= this.committedTxId.seqno ? "Committed" : "Pending";
  }

  /** CCF's receipt for a committed transaction; undefined until it is committed. */
  receipt(seqno: number): Receipt | undefined {
    return this.ledger.receipt(seqno);
  }

  /** The Merkle root over every transaction so far (proposal ids bind to it). */
  merkleRoot(): Uint8Array {
    return this.ledger.history.tree.root(this.ledger.history.lastSeqno + 1);
  }

  /** Stops signing and waits until everything appended is on disk. */
  async close(): Promise<void> {
    this.scheduler.stop();
    await this.ledger.close();
  }
}
