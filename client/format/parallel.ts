/**
 * Encrypting and decrypting one file with the file workers (workers.ts): this thread writes or
 * checks the header and plans the job; the workers seal or open the chunk records in place. The
 * result is byte for byte what the streams produce, and a fault gets the streams' error.
 *
 * Callers give them only files that are `plannable`; each function still returns false, having
 * written nothing, for a file the workers cannot take (too many records, or no longer plannable):
 * the caller then streams it.
 */
import type { Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import {
  HEADER_SIZE,
  TAG_SIZE,
  checkChunkSize,
  checkDek,
  parseHeader,
  plaintextSize,
  type Header,
} from "./layout.js";
import { fitsControl, inputChanged, recordSpan, type RecordJob } from "./record-job.js";
import { diagnose, openHeader, sealHeader } from "./records.js";
import { runRecordJob } from "./workers.js";

export interface ParallelOptions {
  binding: Buffer;
  threads: number;
  /** Called with the input bytes done so far. */
  onProgress: (done: number) => void;
}

/**
 * Whether the workers can plan a file by its size: a pipe or a device has none, and /proc and
 * /sys files pass for regular files but report 0 bytes or a page, on no blocks. (An empty or
 * wholly sparse file streams too: nothing to gain there.)
 */
export function plannable(info: Stats): boolean {
  return info.isFile() && info.size > 0 && info.blocks > 0;
}

async function plannableSize(source: FileHandle): Promise<number | null> {
  const info = await source.stat();
  return plannable(info) ? info.size : null;
}

async function checkUnchanged(source: FileHandle, size: number): Promise<void> {
  const now = (await source.stat()).size;
  if (now !== size) throw inputChanged(`its size went from ${size} to ${now} bytes`);
}

/**
 * Runs the job on the workers with this file's keys (sent as exact copies: a view into Node's
 * shared buffer pool would carry the whole pool to the worker), counting progress from `done`.
 */
function runJob(
  job: Omit<RecordJob, "control">,
  options: ParallelOptions,
  done: number,
): Promise<number | null> {
  let total = done;
  return runRecordJob(
    { ...job, key: new Uint8Array(job.key), fileId: new Uint8Array(job.fileId) },
    options.threads,
    (bytes) => options.onProgress((total += bytes)),
  );
}

/** Encrypts the file `source` into the empty file `target`; false if the workers cannot. */
export async function sealFile(
  dek: Uint8Array,
  source: FileHandle,
  target: FileHandle,
  chunkSize: number,
  options: ParallelOptions,
): Promise<boolean> {
  checkDek(dek);
  checkChunkSize(chunkSize);
  const size = await plannableSize(source);
  if (size === null || !fitsControl(chunkSize, size)) return false;
  const { header, fileId, key } = sealHeader(dek, chunkSize, options.binding);
  await target.write(header, 0, HEADER_SIZE, 0);
  const io = { input: source.fd, output: target.fd };
  await runJob({ kind: "seal", ...io, key, fileId, chunkSize, plaintextSize: size }, options, 0);
  await checkUnchanged(source, size);
  return true;
}

/** The first HEADER_SIZE bytes of the file (fewer if it is shorter). */
export async function readHeaderBytes(source: FileHandle): Promise<Buffer> {
  const bytes = Buffer.alloc(HEADER_SIZE);
  const { bytesRead } = await source.read(bytes, 0, HEADER_SIZE, 0);
  return bytes.subarray(0, bytesRead);
}

/** The header, when the file starts with a well-formed one; else null. */
async function readHeader(source: FileHandle): Promise<Header | null> {
  const bytes = await readHeaderBytes(source);
  try {
    return parseHeader(bytes);
  } catch {
    return null;
  }
}

/**
 * Decrypts the file `source` into the empty file `target`; false, having written nothing, also
 * when the header does not parse or the length is impossible for the chunk size: the stream
 * decryptor then names the fault as it finds it.
 */
export async function openFile(
  dek: Uint8Array,
  source: FileHandle,
  target: FileHandle,
  options: ParallelOptions,
): Promise<boolean> {
  checkDek(dek);
  const size = await plannableSize(source);
  const header = size === null ? null : await readHeader(source);
  if (size === null || header === null) return false;
  const { chunkSize, fileId } = header;
  const plaintext = plaintextSize(size, chunkSize);
  if (plaintext === null || !fitsControl(chunkSize, plaintext)) return false;
  const key = openHeader(dek, options.binding, header);
  options.onProgress(HEADER_SIZE);
  const io = { input: source.fd, output: target.fd };
  const job = { kind: "open" as const, ...io, key, fileId, chunkSize, plaintextSize: plaintext };
  const failed = await runJob(job, options, HEADER_SIZE);
  await checkUnchanged(source, size);
  if (failed === null) return true;
  // The first record that failed: named as the stream decryptor names it.
  const span = recordSpan(chunkSize, plaintext, failed);
  const record = Buffer.alloc(span.plaintext + TAG_SIZE);
  const { bytesRead } = await source.read(record, 0, record.length, span.recordAt);
  if (bytesRead < record.length) throw inputChanged(`chunk ${failed} is no longer whole`);
  const ciphertext = record.subarray(0, span.plaintext);
  throw diagnose(key, fileId, failed, span.last, [ciphertext], record.subarray(-TAG_SIZE));
}
