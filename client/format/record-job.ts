/**
 * What the file workers (record-worker.ts) are asked to do and report, shared by them and the
 * thread that drives them (workers.ts). A job seals or opens every chunk record of one file; each
 * record's place in the input and the output follows from the chunk size and the plaintext size
 * (docs/formats.md, "Byte layout"), so workers take records in any order and read and write them
 * in place, with no bytes passing between threads.
 */
import { HEADER_SIZE, TAG_SIZE } from "./layout.js";

export interface RecordJob {
  /** "seal": plaintext file → records after the header; "open": records → plaintext file. */
  kind: "seal" | "open";
  /** File descriptors, opened and closed by the driving thread. */
  input: number;
  output: number;
  key: Uint8Array;
  fileId: Uint8Array;
  chunkSize: number;
  plaintextSize: number;
  /** Int32 slots shared by the workers of the job: see NEXT and STOP. */
  control: SharedArrayBuffer;
}

/** Control slot: the next record index to claim. */
export const NEXT = 0;
/**
 * Control slot: workers claim no record past this index. Lowered to the first record that failed
 * authentication (so every record before it is still opened, and the first failure is known),
 * or to -1 when the job must stop at once.
 */
export const STOP = 1;
export const NOT_STOPPED = 0x7fffffff;

export type WorkerReport =
  | { type: "progress"; bytes: number }
  | { type: "done" }
  | { type: "error"; message: string; code?: string; syscall?: string; errno?: number };

/** Number of chunk records of a file holding `plaintextSize` bytes (a 0-byte file has one). */
export function recordCount(chunkSize: number, plaintextSize: number): number {
  return Math.max(1, Math.ceil(plaintextSize / chunkSize));
}

/** Whether the workers can take the file: record indices must fit the Int32 control slots. */
export function fitsControl(chunkSize: number, plaintextSize: number): boolean {
  return recordCount(chunkSize, plaintextSize) < NOT_STOPPED - 1024;
}

export interface RecordSpan {
  last: boolean;
  /** Plaintext bytes of the chunk. */
  plaintext: number;
  /** Offset of the chunk in the plaintext, and of its record in the encrypted file. */
  plaintextAt: number;
  recordAt: number;
}

export function recordSpan(chunkSize: number, plaintextSize: number, index: number): RecordSpan {
  const last = index === recordCount(chunkSize, plaintextSize) - 1;
  const plaintextAt = index * chunkSize;
  return {
    last,
    plaintext: last ? plaintextSize - plaintextAt : chunkSize,
    plaintextAt,
    recordAt: HEADER_SIZE + index * (chunkSize + TAG_SIZE),
  };
}
