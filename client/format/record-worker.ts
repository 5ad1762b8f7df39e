/**
 * A file worker (started by workers.ts): seals or opens the chunk records of one file at a time,
 * claiming records one by one from the job's shared counter, reading each from the input and
 * writing its result in place with positioned system calls. Synchronous I/O is right here: this
 * thread has nothing else to do, and it saves the libuv pool's hand-offs.
 */
import { readSync, writevSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { TAG_SIZE } from "./layout.js";
import {
  NEXT,
  STOP,
  recordCount,
  recordSpan,
  type RecordJob,
  type WorkerReport,
} from "./record-job.js";
import { openRecord, sealRecord } from "./records.js";

const port = parentPort!;
const report = (message: WorkerReport): void => port.postMessage(message);

/** Reads exactly `length` bytes at `position` into `into`; fewer only at the end of the file. */
function readAt(fd: number, into: Buffer, length: number, position: number): Buffer {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, into, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  if (got < length) {
    throw new Error(
      `the file ended at byte ${position + got} while ${position + length} were expected: ` +
        "it changed while being read; run the command again once nothing writes to it",
    );
  }
  return into.subarray(0, length);
}

/** Writes every piece at `position`, resuming after short writes (consumes `pieces`). */
function writeAt(fd: number, pieces: Buffer[], position: number): void {
  let at = position;
  while (pieces.length > 0) {
    let written = writevSync(fd, pieces, at);
    at += written;
    while (pieces.length > 0 && written >= pieces[0]!.length) written -= pieces.shift()!.length;
    if (written > 0) pieces[0] = pieces[0]!.subarray(written);
  }
}

function run(job: RecordJob): void {
  const control = new Int32Array(job.control);
  const key = Buffer.from(job.key);
  const fileId = Buffer.from(job.fileId);
  const records = recordCount(job.chunkSize, job.plaintextSize);
  const buffer = Buffer.allocUnsafeSlow(job.chunkSize + TAG_SIZE);
  for (;;) {
    const index = Atomics.add(control, NEXT, 1);
    if (index >= records || index > Atomics.load(control, STOP)) return;
    const span = recordSpan(job.chunkSize, job.plaintextSize, index);
    if (job.kind === "seal") {
      const plaintext = readAt(job.input, buffer, span.plaintext, span.plaintextAt);
      writeAt(job.output, sealRecord(key, fileId, index, span.last, [plaintext]), span.recordAt);
      report({ type: "progress", bytes: span.plaintext });
    } else {
      const record = readAt(job.input, buffer, span.plaintext + TAG_SIZE, span.recordAt);
      const ciphertext = record.subarray(0, span.plaintext);
      const plain = openRecord(
        key,
        fileId,
        index,
        span.last,
        [ciphertext],
        record.subarray(-TAG_SIZE),
      );
      if (plain === null) {
        stopAt(control, index);
        continue;
      }
      writeAt(job.output, plain, span.plaintextAt);
      report({ type: "progress", bytes: record.length });
    }
  }
}

/** Lowers STOP to `index` unless a lower record already failed. */
function stopAt(control: Int32Array, index: number): void {
  for (let seen = Atomics.load(control, STOP); index < seen;) {
    const was = Atomics.compareExchange(control, STOP, seen, index);
    if (was === seen) return;
    seen = was;
  }
}

port.on("message", (job: RecordJob) => {
  try {
    run(job);
    report({ type: "done" });
  } catch (error) {
    Atomics.store(new Int32Array(job.control), STOP, -1);
    const { message, code, syscall, errno } = error as NodeJS.ErrnoException;
    report({
      type: "error",
      message,
      ...(code === undefined ? {} : { code }),
      ...(syscall === undefined ? {} : { syscall }),
      ...(errno === undefined ? {} : { errno }),
    });
  }
});
