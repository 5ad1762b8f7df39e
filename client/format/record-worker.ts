/**
 * A file worker (started by workers.ts): seals or opens the chunk records of one file at a time,
 * claiming records one by one from the job's shared counter, reading each from the input and
 * writing its result in place with positioned system calls. Synchronous I/O is right here: this
 * thread has nothing else to do, and it saves the libuv pool's hand-offs.
 */
import { readSync, writevSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { TAG_SIZE, chunkCount } from "./layout.js";
import {
  NEXT,
  STOP,
  STOP_NOW,
  errorReport,
  inputChanged,
  recordSpan,
  type RecordJob,
  type WorkerReport,
} from "./record-job.js";
import { openRecord, sealRecord } from "./records.js";

const port = parentPort!;
const report = (message: WorkerReport): void => port.postMessage(message);
/** Progress is reported at most once per this many input bytes (and once at the end). */
const PROGRESS_STEP = 4 * 1024 * 1024;

/** Reads exactly `length` bytes at `position` into `into`. */
function readAt(fd: number, into: Buffer, length: number, position: number): Buffer {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, into, got, length - got, position + got);
    if (n === 0)
      throw inputChanged(`it ended at byte ${position + got}, before ${position + length}`);
    got += n;
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

/** Seals or opens one record; false when it does not authenticate. Returns input bytes done. */
function runRecord(job: RecordJob, key: Buffer, fileId: Buffer, buffer: Buffer, index: number) {
  const span = recordSpan(job.chunkSize, job.plaintextSize, index);
  if (job.kind === "seal") {
    const plaintext = readAt(job.input, buffer, span.plaintext, span.plaintextAt);
    writeAt(job.output, sealRecord(key, fileId, index, span.last, [plaintext]), span.recordAt);
    return span.plaintext;
  }
  const record = readAt(job.input, buffer, span.plaintext + TAG_SIZE, span.recordAt);
  const ciphertext = record.subarray(0, span.plaintext);
  const plain = openRecord(key, fileId, index, span.last, [ciphertext], record.subarray(-TAG_SIZE));
  if (plain === null) return false;
  writeAt(job.output, plain, span.plaintextAt);
  return record.length;
}

function run(job: RecordJob): void {
  const control = new Int32Array(job.control);
  const key = Buffer.from(job.key);
  const fileId = Buffer.from(job.fileId);
  const records = chunkCount(job.chunkSize, job.plaintextSize);
  const buffer = Buffer.allocUnsafeSlow(job.chunkSize + TAG_SIZE);
  let unreported = 0;
  try {
    for (;;) {
      const index = Atomics.add(control, NEXT, 1);
      if (index >= records || index > Atomics.load(control, STOP)) return;
      const bytes = runRecord(job, key, fileId, buffer, index);
      if (bytes === false) {
        stopAt(control, index);
        continue;
      }
      unreported += bytes;
      if (unreported >= PROGRESS_STEP) {
        report({ type: "progress", bytes: unreported });
        unreported = 0;
      }
    }
  } finally {
    if (unreported > 0) report({ type: "progress", bytes: unreported });
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
    Atomics.store(new Int32Array(job.control), STOP, STOP_NOW);
    report(errorReport(error));
  }
});
