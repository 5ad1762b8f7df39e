/**
 * What the file workers (record-worker.ts) are asked to do and report, shared by them and the
 * thread that drives them (workers.ts). A job seals or opens every chunk record of one file; each
 * record's place in the input and the output follows from the chunk size and the plaintext size
 * (docs/formats.md, "Byte layout"), so workers take records in any order and read and write them
 * in place, with no bytes passing between threads.
 */
import { FormatError, type FormatErrorCode } from "./errors.js";
import { HEADER_SIZE, TAG_SIZE, chunkCount } from "./layout.js";

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

/** The most threads one job may use. */
export const MAX_THREADS = 64;

/** Control slot: the next record index to claim. */
export const NEXT = 0;
/**
 * Control slot: workers claim no record past this index. Lowered to the first record that failed
 * authentication (so every record before it is still opened, and the first failure is known),
 * or to STOP_NOW when the job must stop at once.
 */
export const STOP = 1;
export const NOT_STOPPED = 0x7fffffff;
export const STOP_NOW = -1;

/** Whether the workers can take the file: record indices must fit the Int32 control slots. */
export function fitsControl(chunkSize: number, plaintextSize: number): boolean {
  // Each thread claims one index past the last record before it stops.
  return chunkCount(chunkSize, plaintextSize) < NOT_STOPPED - MAX_THREADS;
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
  const last = index === chunkCount(chunkSize, plaintextSize) - 1;
  const plaintextAt = index * chunkSize;
  return {
    last,
    plaintext: last ? plaintextSize - plaintextAt : chunkSize,
    plaintextAt,
    recordAt: HEADER_SIZE + index * (chunkSize + TAG_SIZE),
  };
}

/** The error that ends a job when its input changes size under it (reading or after the job). */
export function inputChanged(detail: string): FormatError {
  return new FormatError(
    "Changed",
    `${detail}: the file changed while it was being read; run the command again once nothing ` +
      "writes to it",
  );
}

type ErrorReport = {
  type: "error";
  message: string;
  /** A FormatError's code; else the system error's code, syscall and errno, if any. */
  format?: FormatErrorCode;
  code?: string;
  syscall?: string;
  errno?: number;
};

export type WorkerReport = { type: "progress"; bytes: number } | { type: "done" } | ErrorReport;

/** A worker's error as a message (an Error does not cross threads with its class and fields). */
export function errorReport(error: unknown): ErrorReport {
  if (error instanceof FormatError)
    return { type: "error", message: error.message, format: error.code };
  const { message, code, syscall, errno } = error as NodeJS.ErrnoException;
  return {
    type: "error",
    message: String(message),
    ...(code === undefined ? {} : { code }),
    ...(syscall === undefined ? {} : { syscall }),
    ...(errno === undefined ? {} : { errno }),
  };
}

/** The error a report stands for, on the driving thread. */
export function reportedError(report: ErrorReport): Error {
  const { message, format, code, syscall, errno } = report;
  if (format !== undefined) return new FormatError(format, message);
  return Object.assign(new Error(message), {
    ...(code === undefined ? {} : { code }),
    ...(syscall === undefined ? {} : { syscall }),
    ...(errno === undefined ? {} : { errno }),
  });
}
