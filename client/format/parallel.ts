/**
 * Encrypting and decrypting one file with the file workers (workers.ts): this thread writes or
 * checks the header and plans the job; the workers seal or open the chunk records in place. The
 * result is byte for byte what the streams produce, and a fault gets the streams' error.
 */
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
import { fitsControl, recordSpan } from "./record-job.js";
import { diagnose, openHeader, sealHeader } from "./records.js";
import { runRecordJob } from "./workers.js";

export interface ParallelOptions {
  binding: Buffer;
  threads: number;
  /** Called with the input bytes done so far. */
  onProgress: (done: number) => void;
}

/** Encrypts the file `source` into the empty file `target`. */
export async function sealFile(
  dek: Uint8Array,
  source: FileHandle,
  target: FileHandle,
  chunkSize: number,
  options: ParallelOptions,
): Promise<void> {
  checkDek(dek);
  checkChunkSize(chunkSize);
  const size = (await source.stat()).size;
  const { header, fileId, key } = sealHeader(dek, chunkSize, options.binding);
  await target.write(header, 0, HEADER_SIZE, 0);
  let done = 0;
  await runRecordJob(
    {
      kind: "seal",
      input: source.fd,
      output: target.fd,
      key,
      fileId,
      chunkSize,
      plaintextSize: size,
    },
    options.threads,
    (bytes) => options.onProgress((done += bytes)),
  );
  if ((await source.stat()).size !== size) {
    throw new Error(
      "the file changed size while being encrypted: run the command again once nothing " +
        "writes to it",
    );
  }
}

async function readHeaderBytes(source: FileHandle): Promise<Buffer> {
  const bytes = Buffer.alloc(HEADER_SIZE);
  const { bytesRead } = await source.read(bytes, 0, HEADER_SIZE, 0);
  return bytes.subarray(0, bytesRead);
}

/** The header, when the file starts with a well-formed one; else null. */
function headerOrNull(bytes: Buffer): Header | null {
  try {
    return parseHeader(bytes);
  } catch {
    return null;
  }
}

/**
 * Decrypts the file `source` into the empty file `target` and returns true; or returns false,
 * having written nothing, when the file's header is malformed or its length is impossible for its
 * chunk size: the stream decryptor then names the fault as it finds it.
 */
export async function openFile(
  dek: Uint8Array,
  source: FileHandle,
  target: FileHandle,
  options: ParallelOptions,
): Promise<boolean> {
  checkDek(dek);
  const size = (await source.stat()).size;
  const bytes = await readHeaderBytes(source);
  const parsed = headerOrNull(bytes);
  const plaintext = parsed === null ? null : plaintextSize(size, parsed.chunkSize);
  if (plaintext === null || !fitsControl(parsed!.chunkSize, plaintext)) return false;
  const { header, key } = openHeader(dek, options.binding, bytes);
  let done = HEADER_SIZE;
  options.onProgress(done);
  const failed = await runRecordJob(
    {
      kind: "open",
      input: source.fd,
      output: target.fd,
      key,
      fileId: header.fileId,
      chunkSize: header.chunkSize,
      plaintextSize: plaintext,
    },
    options.threads,
    (bytes) => options.onProgress((done += bytes)),
  );
  if (failed !== null) {
    const span = recordSpan(header.chunkSize, plaintext, failed);
    const record = Buffer.alloc(span.plaintext + TAG_SIZE);
    await source.read(record, 0, record.length, span.recordAt);
    const [ciphertext, tag] = [record.subarray(0, span.plaintext), record.subarray(-TAG_SIZE)];
    throw diagnose(key, header.fileId, failed, span.last, [ciphertext], tag);
  }
  return true;
}
