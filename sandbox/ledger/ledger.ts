/**
 * The node's durable ledger: replay at start, append on commit (durable once the promise
 * resolves), signature transactions, receipts. Ties together entry.ts (format), writer.ts (files,
 * group commit), replay.ts (verification), history.ts + receipt.ts (receipts) and signatures.ts.
 *
 * Intended wiring in the node (single engine thread):
 *   const { ledger, replay } = await Ledger.open({ dir, secret, serviceCertPem });
 *   for (const tx of replay.transactions) store.commit(tx.writes);      // restart
 *   ... on each commit:  await ledger.append({ view, seqno, writes, claimsDigest });
 *   ... when a signature is due: const sig = ledger.signatureTransaction(identity, view);
 *       store.commit(sig.writes); ledger.append(sig);
 *   ... GET /app/receipt: ledger.receipt(seqno)
 */
import { mkdirSync } from "node:fs";
import type { TxId } from "../kv/store.js";
import { encodeEntry, type LedgerTransaction } from "./entry.js";
import type { LedgerHistory } from "./history.js";
import { buildReceipt, type Receipt } from "./receipt.js";
import { replayLedger, type ReplayResult } from "./replay.js";
import type { LedgerSecret } from "./secret.js";
import {
  parseSignatureWrites,
  signatureWrites,
  signRoot,
  type SignatureRecord,
  type SigningIdentity,
} from "./signatures.js";
import { LedgerWriter, type FlushInfo } from "./writer.js";

export interface LedgerOptions {
  /** The ledger directory, `<workspace>/ledger`; created if absent. */
  dir: string;
  secret: LedgerSecret;
  /** When given, replay checks every signing certificate is issued by it. */
  serviceCertPem?: string;
  /** File size after which a file is completed at the next signature (default 5 MiB). */
  chunkBytes?: number;
  verifySignatures?: "last" | "all";
  /** Called after every fdatasync. */
  onFlush?: (info: FlushInfo) => void;
  /** Streams replayed transactions instead of collecting them in `replay.transactions`. */
  onTransaction?: (tx: LedgerTransaction) => void;
}

export class Ledger {
  private constructor(
    readonly history: LedgerHistory,
    private readonly writer: LedgerWriter,
    private readonly secret: LedgerSecret,
  ) {}

  /** Replays (and verifies) the ledger in `dir`, then opens it for appending. */
  static async open(options: LedgerOptions): Promise<{ ledger: Ledger; replay: ReplayResult }> {
    mkdirSync(options.dir, { recursive: true });
    const replay = replayLedger({
      dir: options.dir,
      secret: options.secret,
      serviceCertPem: options.serviceCertPem,
      verifySignatures: options.verifySignatures,
      onTransaction: options.onTransaction,
    });
    const history = replay.history;
    const userHook = options.onFlush;
    const writer = await LedgerWriter.open(
      {
        dir: options.dir,
        chunkBytes: options.chunkBytes,
        onFlush: (info) => {
          history.durableSeqno = info.lastSeqno;
          userHook?.(info);
        },
      },
      replay.writerStart,
    );
    return { ledger: new Ledger(history, writer, options.secret), replay };
  }

  get lastTxId(): TxId | undefined {
    return this.history.lastTxId;
  }

  /** Highest seqno on disk. */
  get durableSeqno(): number {
    return this.history.durableSeqno;
  }

  get lastSignature(): SignatureRecord | undefined {
    return this.history.lastSignature;
  }

  /** Set when a write or sync failed: the ledger accepts nothing more. */
  get failed(): Error | undefined {
    return this.writer.failed;
  }

  /**
   * Appends the next committed transaction (seqno = last + 1). The Merkle tree includes it at
   * once; the promise resolves when it is durable. Throws (synchronously) RangeError/TypeError on
   * a malformed or out-of-order transaction, leaving the ledger unchanged.
   */
  append(tx: LedgerTransaction): Promise<void> {
    if (this.writer.failed) return Promise.reject(this.writer.failed);
    const last = this.history.lastTxId;
    if (tx.seqno !== this.history.lastSeqno + 1) {
      throw new RangeError(
        `Ledger append out of order: ${tx.view}.${tx.seqno} after seqno ${this.history.lastSeqno}.`,
      );
    }
    if (last && tx.view < last.view) {
      throw new RangeError(`Ledger append goes back from view ${last.view} to ${tx.view}.`);
    }
    const entry = encodeEntry(tx, this.secret);
    let record: SignatureRecord | undefined;
    if (entry.isSignature) {
      record = parseSignatureWrites(tx.writes);
      if (
        record.seqno !== tx.seqno ||
        record.view !== tx.view ||
        !record.root.equals(this.history.tree.root(tx.seqno))
      ) {
        throw new RangeError(`Signature transaction ${tx.view}.${tx.seqno} signs another state.`);
      }
    }
    this.history.add({ view: tx.view, seqno: tx.seqno }, entry, record);
    return this.writer.append(tx.seqno, entry.bytes, entry.isSignature);
  }

  /**
   * The next transaction as a signature transaction: signs the root over every transaction
   * appended so far. The node commits `writes` to its store with this seqno, then appends it.
   */
  signatureTransaction(identity: SigningIdentity, view?: number): LedgerTransaction {
    const seqno = this.history.lastSeqno + 1;
    const txView = view ?? this.history.lastTxId?.view ?? 2;
    const root = this.history.tree.root(seqno);
    const record: SignatureRecord = {
      view: txView,
      seqno,
      root,
      signature: signRoot(root, identity.privateKey),
      nodeId: identity.nodeId,
      certPem: identity.certPem,
    };
    const from = this.history.lastSignature?.seqno ?? 0;
    const tree = this.history.tree.serialise(from, seqno - 1);
    return { view: txView, seqno, writes: signatureWrites(record, tree) };
  }

  /**
   * CCF's `/app/receipt` JSON for `seqno`; undefined while no durable signature covers it (the
   * node answers as CCF does for a pending transaction) or when there is no such transaction.
   */
  receipt(seqno: number): Receipt | undefined {
    return buildReceipt(this.history, this.secret, seqno);
  }

  /** Resolves when everything appended so far is durable (or the writer failed). */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
