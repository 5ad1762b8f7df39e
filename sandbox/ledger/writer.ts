/**
 * Append-only ledger files with group commit.
 *
 * Files live in `<workspace>/ledger/`, named like CCF's chunks: `ledger_<first seqno>` while being
 * written, renamed `ledger_<first>-<last>` once complete. Each starts with the 8-byte magic
 * `CRLEDG01` and holds entries back to back (entry.ts). A file is completed right after a signature
 * transaction once it reached `chunkBytes`, so a complete file always ends on a signature (as in
 * CCF), and the next file starts at the following seqno.
 *
 * Group commit: `append` queues an entry and returns a promise that settles once the entry is
 * durable. A flush writes everything queued in one write and fdatasyncs once; appends made while
 * a flush is under way form the next batch, started as soon as that flush ends. A flush starts on
 * the next turn of the event loop after an append (no timer): a lone transaction waits for exactly
 * one fdatasync, and under load many transactions share each one.
 *
 * If a write or sync fails, every pending and later append is rejected with that error: the ledger
 * can no longer promise durability, and the node must stop.
 */
import { closeSync, fsyncSync, openSync } from "node:fs";
import { open, rename, type FileHandle } from "node:fs/promises";
import { join } from "node:path";

export const FILE_MAGIC = Buffer.from("CRLEDG01", "latin1");
export const DEFAULT_CHUNK_BYTES = 5 * 1024 * 1024;

export interface FlushInfo {
  /** Entries made durable by this fdatasync. */
  entries: number;
  bytes: number;
  firstSeqno: number;
  lastSeqno: number;
  file: string;
}

export interface WriterOptions {
  dir: string;
  /** Complete a file after the first signature transaction that brings it to this size. */
  chunkBytes?: number;
  /** Called after every fdatasync (tests count flushes with it); its errors are ignored. */
  onFlush?: (info: FlushInfo) => void;
}

/** Where to continue: the open file left by a previous run, or the seqno of a new file. */
export type WriterStart =
  | { kind: "new"; nextSeqno: number }
  | { kind: "resume"; file: string; firstSeqno: number; size: number; nextSeqno: number };

interface Pending {
  seqno: number;
  bytes: Uint8Array;
  isSignature: boolean;
  settle: (error?: Error) => void;
}

export const openFileName = (first: number) => `ledger_${first}`;
export const completeFileName = (first: number, last: number) => `ledger_${first}-${last}`;

function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class LedgerWriter {
  private queue: Pending[] = [];
  private running = false;
  private scheduled = false;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly chunkBytes: number;

  private constructor(
    private readonly options: WriterOptions,
    private handle: FileHandle,
    private fileFirst: number,
    /** Bytes in the current file (the next write's position). */
    private size: number,
    /** The seqno the next append must carry. */
    private nextSeqno: number,
  ) {
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  }

  static async open(options: WriterOptions, start: WriterStart): Promise<LedgerWriter> {
    if (start.kind === "resume") {
      const path = join(options.dir, start.file);
      const handle = await open(path, "r+");
      try {
        let size = start.size;
        if (size < FILE_MAGIC.length) {
          // Not even the magic made it to disk: start the file again.
          await handle.truncate(0);
          await handle.write(FILE_MAGIC, 0, FILE_MAGIC.length, 0);
          size = FILE_MAGIC.length;
        } else {
          await handle.truncate(size); // drops a torn tail, if replay found one
        }
        await handle.datasync();
        return new LedgerWriter(options, handle, start.firstSeqno, size, start.nextSeqno);
      } catch (error) {
        await handle.close();
        throw error;
      }
    }
    const handle = await LedgerWriter.createFile(options.dir, start.nextSeqno);
    return new LedgerWriter(options, handle, start.nextSeqno, FILE_MAGIC.length, start.nextSeqno);
  }

  private static async createFile(dir: string, first: number): Promise<FileHandle> {
    const handle = await open(join(dir, openFileName(first)), "wx");
    try {
      await handle.write(FILE_MAGIC, 0, FILE_MAGIC.length, 0);
      await handle.datasync();
      syncDir(dir);
      return handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The name of the file being written. */
  get currentFile(): string {
    return openFileName(this.fileFirst);
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  /**
   * Queues one entry (seqnos must be consecutive); resolves once it is durable. The bytes must not
   * change until then.
   */
  append(seqno: number, bytes: Uint8Array, isSignature = false): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error("The ledger writer is closed."));
    if (seqno !== this.nextSeqno) {
      return Promise.reject(
        new RangeError(`Ledger append out of order: seqno ${seqno}, expected ${this.nextSeqno}.`),
      );
    }
    this.nextSeqno++;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        seqno,
        bytes,
        isSignature,
        settle: (error) => (error ? reject(error) : resolve()),
      });
      if (!this.running && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.run());
      }
    });
  }

  private async run(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    while (this.queue.length > 0 && !this.failure) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.writeBatch(batch);
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
        // Entries synced before the failure stay resolved; the others can no longer be promised.
        for (const entry of [...batch.slice(this.settledInBatch), ...this.queue]) {
          entry.settle(this.failure);
        }
        this.queue = [];
      }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** How many entries of the batch being written are already durable and resolved. */
  private settledInBatch = 0;

  /** Writes a batch, completing the file after a signature once it is big enough. */
  private async writeBatch(batch: Pending[]): Promise<void> {
    this.settledInBatch = 0;
    let start = 0;
    let fileSize = this.size;
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i]!;
      fileSize += entry.bytes.byteLength;
      if (entry.isSignature && fileSize >= this.chunkBytes) {
        await this.writeAndSync(batch.slice(start, i + 1));
        this.settle(batch, i + 1);
        await this.completeFile(entry.seqno);
        start = i + 1;
        fileSize = this.size;
      }
    }
    if (start < batch.length) {
      await this.writeAndSync(batch.slice(start));
      this.settle(batch, batch.length);
    }
  }

  private settle(batch: Pending[], upTo: number): void {
    for (let i = this.settledInBatch; i < upTo; i++) batch[i]!.settle();
    this.settledInBatch = upTo;
  }

  private async writeAndSync(entries: Pending[]): Promise<void> {
    const data =
      entries.length === 1 ? entries[0]!.bytes : Buffer.concat(entries.map((e) => e.bytes));
    let written = 0;
    while (written < data.byteLength) {
      const { bytesWritten } = await this.handle.write(
        data,
        written,
        data.byteLength - written,
        this.size + written,
      );
      written += bytesWritten;
    }
    await this.handle.datasync();
    this.size += data.byteLength;
    try {
      this.options.onFlush?.({
        entries: entries.length,
        bytes: data.byteLength,
        firstSeqno: entries[0]!.seqno,
        lastSeqno: entries[entries.length - 1]!.seqno,
        file: this.currentFile,
      });
    } catch {
      // An observer's error must not fail the ledger: the entries are durable.
    }
  }

  /** Renames the current file to its complete name and starts the next one. */
  private async completeFile(lastSeqno: number): Promise<void> {
    const { dir } = this.options;
    await this.handle.close();
    await rename(
      join(dir, openFileName(this.fileFirst)),
      join(dir, completeFileName(this.fileFirst, lastSeqno)),
    );
    syncDir(dir);
    this.handle = await LedgerWriter.createFile(dir, lastSeqno + 1);
    this.fileFirst = lastSeqno + 1;
    this.size = FILE_MAGIC.length;
  }

  /** Resolves once everything appended so far has been flushed (or has failed). */
  drain(): Promise<void> {
    if (!this.running && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Flushes what is queued, then closes the file. Later appends are rejected. */
  close(): Promise<void> {
    this.closing ??= this.drain().then(() => this.handle.close().catch(() => {}));
    return this.closing;
  }
}
