/**
 * Replay: reads every ledger file, verifies every entry and gives back the committed transactions
 * in order, with the history (Merkle tree, digests, signatures) receipts need.
 *
 * It refuses (LedgerCorruptError naming the first bad transaction, its file and offset) when:
 * - an entry was modified: its write-set digest or its AES-GCM tag fails;
 * - the ledger secret is not the one the ledger was written with (checked on the first entry and
 *   on signature transactions by their commit evidence, and on every private domain by its tag);
 * - entries were reordered, duplicated or lost: seqnos are not consecutive from 1 (within and
 *   across files), or a file's name does not match its content;
 * - framing is broken anywhere but at the very end of the last file (bytes cut from the middle,
 *   a truncated file followed by others);
 * - a signature transaction does not sign the root of the transactions before it, its node id or
 *   certificate is wrong (certificate not issued by the service certificate, when given), or its
 *   ECDSA signature fails.
 *
 * A torn last write — an incomplete entry at the very end of the last file, or a zero-filled one
 * as some file systems leave after a crash — is not an error: it was never acknowledged (the writer
 * resolves appends only after fdatasync). Replay stops before it and reports it in `torn`; the
 * writer then truncates it away (`writerStart`).
 *
 * ECDSA verification is the costly step (a few ms each): by default only the last signature is
 * verified — its root covers every earlier leaf, including earlier signature transactions, and
 * every earlier root is checked against the recomputed tree — and all of them only when it fails,
 * to name the first bad one. `verifySignatures: "all"` verifies each as it comes.
 */
import { X509Certificate, hash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  decodeEntry,
  EntryError,
  readHeader,
  type DecodedEntry,
  type LedgerTransaction,
} from "./entry.js";
import { LedgerHistory } from "./history.js";
import type { LedgerSecret } from "./secret.js";
import {
  nodeIdOf,
  parseSignatureWrites,
  verifyRootSignature,
  type SignatureRecord,
} from "./signatures.js";
import { FILE_MAGIC, type WriterStart } from "./writer.js";

export interface ReplayOptions {
  /** The ledger directory (`<workspace>/ledger`); absent or empty means a new ledger. */
  dir: string;
  secret: LedgerSecret;
  /** When given, every signing node certificate must be issued by this service certificate. */
  serviceCertPem?: string;
  verifySignatures?: "last" | "all";
  /** Called with each verified transaction, in order. Default: collect them in the result. */
  onTransaction?: (tx: LedgerTransaction) => void;
}

export interface LedgerFileInfo {
  name: string;
  firstSeqno: number;
  /** Undefined for the file still being written (`ledger_<first>`). */
  lastSeqno: number | undefined;
  size: number;
}

export interface TornTail {
  file: string;
  /** Where the last whole entry ends: the file is truncated to this size. */
  offset: number;
  /** Bytes dropped. */
  bytes: number;
  /** The seqno the dropped entry would have had. */
  seqno: number;
}

export interface ReplayResult {
  /** Every transaction, in seqno order (empty when `onTransaction` was given). */
  transactions: LedgerTransaction[];
  history: LedgerHistory;
  files: LedgerFileInfo[];
  torn: TornTail | undefined;
  /** Transactions after the last signature (not yet covered by a signed root). */
  unsignedTail: number;
  /** Where the writer continues. */
  writerStart: WriterStart;
}

export class LedgerCorruptError extends Error {
  constructor(
    /** `view.seqno` of the first bad transaction (the expected id when its header is unreadable). */
    readonly txId: string,
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(
      `Ledger is corrupt at transaction ${txId} (${file}, offset ${offset}): ${reason}. ` +
        "Refusing to start.",
    );
    this.name = "LedgerCorruptError";
  }
}

const FILE_NAME = /^ledger_(\d+)(?:-(\d+))?$/;

function listFiles(dir: string): { name: string; first: number; last: number | undefined }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const files = names.flatMap((name) => {
    const match = FILE_NAME.exec(name);
    if (!match) return [];
    const first = Number(match[1]);
    const last = match[2] === undefined ? undefined : Number(match[2]);
    return [{ name, first, last }];
  });
  return files.sort((a, b) => a.first - b.first);
}

function isZero(buf: Uint8Array, from: number, to = buf.byteLength): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

interface SignaturePosition {
  record: SignatureRecord;
  txId: string;
  file: string;
  offset: number;
}

export function replayLedger(options: ReplayOptions): ReplayResult {
  const { dir, secret } = options;
  const mode = options.verifySignatures ?? "last";
  const history = new LedgerHistory();
  const transactions: LedgerTransaction[] = [];
  const deliver = options.onTransaction ?? ((tx: LedgerTransaction) => transactions.push(tx));
  const serviceCert =
    options.serviceCertPem === undefined ? undefined : new X509Certificate(options.serviceCertPem);
  const checkedCerts = new Map<string, string | undefined>(); // PEM → error, if any
  const signatures: SignaturePosition[] = [];

  const files = listFiles(dir);
  const infos: LedgerFileInfo[] = [];
  let torn: TornTail | undefined;
  let expected = 1;
  let lastView = 0;
  let writerStart: WriterStart = { kind: "new", nextSeqno: 1 };

  const certProblem = (pem: string, nodeId: string): string | undefined => {
    const key = `${nodeId}\n${pem}`;
    if (!checkedCerts.has(key)) {
      let problem: string | undefined;
      try {
        const cert = new X509Certificate(pem);
        if (nodeIdOf(cert) !== nodeId) problem = "node id does not match the signing certificate";
        else if (
          serviceCert &&
          !(cert.checkIssued(serviceCert) && cert.verify(serviceCert.publicKey))
        )
          problem = "signing certificate is not endorsed by the service certificate";
      } catch {
        problem = "signing certificate is not a valid certificate";
      }
      checkedCerts.set(key, problem);
    }
    return checkedCerts.get(key);
  };

  for (let f = 0; f < files.length; f++) {
    const file = files[f]!;
    const isLast = f === files.length - 1;
    const buf = readFileSync(join(dir, file.name));
    // The id the next entry should have (its view unknown before the first entry: "?").
    const expectedId = () => `${lastView === 0 ? "?" : lastView}.${expected}`;
    const corrupt = (txId: string, offset: number, reason: string) =>
      new LedgerCorruptError(txId, file.name, offset, reason);
    if (file.first !== expected) {
      throw corrupt(
        expectedId(),
        0,
        `file starts at seqno ${file.first}, expected ${expected} (missing, duplicated or misnamed ledger file)`,
      );
    }
    if (f > 0 && files[f - 1]!.last === undefined) {
      throw corrupt(expectedId(), 0, `previous file ${files[f - 1]!.name} was never completed`);
    }

    let offset = FILE_MAGIC.length;
    if (buf.length < FILE_MAGIC.length || !buf.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) {
      const partialMagic =
        buf.length < FILE_MAGIC.length &&
        (isZero(buf, 0) || FILE_MAGIC.subarray(0, buf.length).equals(buf));
      if (!(isLast && file.last === undefined && partialMagic)) {
        throw corrupt(expectedId(), 0, "not a ledger file (bad magic)");
      }
      torn = { file: file.name, offset: 0, bytes: buf.length, seqno: expected };
      offset = buf.length;
    }

    while (offset < buf.length) {
      const header = readHeader(buf, offset);
      const remaining = buf.length - offset;
      const tornHere = (): boolean => {
        if (!isLast || file.last !== undefined) return false;
        torn = { file: file.name, offset, bytes: remaining, seqno: expected };
        return true;
      };
      if (header === undefined) {
        if (tornHere()) break;
        throw corrupt(expectedId(), offset, "truncated entry (file ends inside an entry header)");
      }
      if (typeof header === "string") {
        if (isZero(buf, offset) && tornHere()) break;
        throw corrupt(expectedId(), offset, `framing broken: ${header}`);
      }
      const { size, view, seqno } = header;
      const txId = `${view}.${seqno}`;
      if (size > remaining) {
        if (tornHere()) break;
        throw corrupt(
          txId,
          offset,
          `entry of ${size} bytes overruns the end of the file (truncated)`,
        );
      }
      let decoded: DecodedEntry;
      try {
        decoded = decodeEntry(buf, offset, header, secret);
      } catch (error) {
        if (!(error instanceof EntryError)) throw error;
        // A zero-filled final entry (size written, data never) is a torn write, not tampering.
        if (isZero(buf, offset + size - 32) && tornHere()) break;
        const where = seqno === expected ? "" : ` (expected seqno ${expected})`;
        throw corrupt(txId, offset, `${error.message}${where}`);
      }
      if (seqno !== expected) {
        throw corrupt(
          txId,
          offset,
          `out of order: expected seqno ${expected} (entries reordered, missing or duplicated)`,
        );
      }
      if (view < lastView) throw corrupt(txId, offset, `view goes back from ${lastView}`);
      // Commit evidence digests are part of the leaves, so signatures protect them; recomputing
      // them (an HMAC each) is only a cheap check that this is the right ledger secret.
      if (
        (seqno === 1 || decoded.isSignature) &&
        !hash("sha256", secret.commitEvidence(view, seqno), "buffer").equals(
          decoded.commitEvidenceDigest,
        )
      ) {
        throw corrupt(
          txId,
          offset,
          "commit evidence does not match the ledger secret (wrong ledger secret?)",
        );
      }

      let record: SignatureRecord | undefined;
      if (decoded.isSignature) {
        try {
          record = parseSignatureWrites(decoded.transaction.writes);
        } catch (error) {
          throw corrupt(txId, offset, (error as Error).message);
        }
        if (record.seqno !== seqno || record.view !== view) {
          throw corrupt(txId, offset, `signature claims to be ${record.view}.${record.seqno}`);
        }
        const root = history.tree.root(seqno);
        if (!root.equals(record.root)) {
          const since = history.lastSignature?.seqno ?? 1;
          throw corrupt(
            txId,
            offset,
            `signed Merkle root does not match transactions 1..${seqno - 1} as recorded ` +
              `(one from seqno ${since} on was altered, with its digest recomputed)`,
          );
        }
        const problem = certProblem(record.certPem, record.nodeId);
        if (problem) throw corrupt(txId, offset, problem);
        if (mode === "all" && !verifyRootSignature(record.root, record.signature, record.certPem)) {
          throw corrupt(txId, offset, "signature over the Merkle root does not verify");
        }
        signatures.push({ record, txId, file: file.name, offset });
      }

      history.add({ view, seqno }, decoded, record);
      deliver(decoded.transaction);
      lastView = view;
      expected++;
      offset += size;
    }

    if (file.last !== undefined && file.last !== expected - 1) {
      throw corrupt(
        expectedId(),
        offset,
        `file name says it ends at seqno ${file.last}, its last entry is ${expected - 1}`,
      );
    }
    infos.push({ name: file.name, firstSeqno: file.first, lastSeqno: file.last, size: buf.length });
    writerStart =
      file.last === undefined
        ? {
            kind: "resume",
            file: file.name,
            firstSeqno: file.first,
            size: offset,
            nextSeqno: expected,
          }
        : { kind: "new", nextSeqno: expected };
  }
  if (torn)
    writerStart = {
      ...(writerStart as Extract<WriterStart, { kind: "resume" }>),
      size: torn.offset,
    };

  if (mode === "last" && signatures.length > 0) {
    const last = signatures[signatures.length - 1]!;
    if (!verifyRootSignature(last.record.root, last.record.signature, last.record.certPem)) {
      const bad =
        signatures.find(
          (s) => !verifyRootSignature(s.record.root, s.record.signature, s.record.certPem),
        ) ?? last;
      throw new LedgerCorruptError(
        bad.txId,
        bad.file,
        bad.offset,
        "signature over the Merkle root does not verify",
      );
    }
  }

  history.durableSeqno = history.lastSeqno;
  return {
    transactions,
    history,
    files: infos,
    torn,
    unsignedTail: history.lastSeqno - (history.lastSignature?.seqno ?? 0),
    writerStart,
  };
}
