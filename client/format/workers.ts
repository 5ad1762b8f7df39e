/**
 * The file workers: a few threads (record-worker.ts) that seal or open a file's chunk records in
 * parallel. One thread's AES-GCM through node:crypto reaches about two thirds of `openssl speed`
 * on data fresh from a file (each update allocates and copies its output); the workers use the
 * other cores, and move no bytes between threads (docs/benchmarks.md).
 *
 * Threads start on first use (~40 ms the first time, with their modules) and stay for the next
 * file, without keeping the process alive while idle; threads beyond DEFAULT_THREADS, started for
 * a job that asked for more, end with it. Jobs run one at a time, each on up to as many threads as
 * it asks for (never more than it has records).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { chunkCount } from "./layout.js";
import {
  NEXT,
  NOT_STOPPED,
  STOP,
  STOP_NOW,
  reportedError,
  type RecordJob,
  type WorkerReport,
} from "./record-job.js";

/** Threads a file gets by default: one per CPU, up to 4 (beyond that, memory bandwidth binds). */
export const DEFAULT_THREADS = Math.min(4, availableParallelism());

const idle: Worker[] = [];
let queue: Promise<unknown> = Promise.resolve();

function spawn(): Worker {
  const worker = new Worker(new URL("./record-worker.js", import.meta.url));
  // A thread that dies while idle must not be handed the next job.
  worker.once("exit", () => {
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
  });
  return worker;
}

/**
 * Runs the job on one worker until it has no record left to claim. The worker is handed back for
 * the next job only once it said it is done with this one (its last message for the job).
 */
function runOn(worker: Worker, job: RecordJob, onProgress: (bytes: number) => void) {
  const stopAll = () => Atomics.store(new Int32Array(job.control), STOP, STOP_NOW);
  return new Promise<void>((resolve, reject) => {
    let failure: Error | null = null;
    const settle = (error: Error | null, reusable: boolean): void => {
      worker.off("message", onMessage).off("error", onFailure).off("exit", onExit);
      if (reusable) {
        worker.unref();
        idle.push(worker);
      } else {
        void worker.terminate();
      }
      if (error === null) return resolve();
      stopAll();
      reject(error);
    };
    const onMessage = (report: WorkerReport): void => {
      if (report.type === "progress") {
        try {
          onProgress(report.bytes);
        } catch (error) {
          // The caller's callback failed: stop the job, and fail it once this worker is done.
          failure ??= error as Error;
          stopAll();
        }
      } else if (report.type === "done") settle(failure, true);
      else settle(reportedError(report), true); // the job's error (I/O): the thread is fine
    };
    const onFailure = (error: Error): void => settle(error, false);
    const onExit = (code: number): void =>
      settle(new Error(`a file encryption thread stopped unexpectedly (exit code ${code})`), false);
    worker.on("message", onMessage).once("error", onFailure).once("exit", onExit);
    worker.ref();
    worker.postMessage(job);
  });
}

const isRejected = (result: PromiseSettledResult<void>): result is PromiseRejectedResult =>
  result.status === "rejected";

/**
 * Runs `job` on up to `threads` workers. Resolves with the index of the first record that failed
 * authentication (every record before it was opened and written), or null when all succeeded;
 * rejects on the first I/O error, after every worker has stopped.
 */
export function runRecordJob(
  job: Omit<RecordJob, "control">,
  threads: number,
  onProgress: (bytes: number) => void,
): Promise<number | null> {
  const run = queue.then(async () => {
    const control = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    const slots = new Int32Array(control);
    slots[NEXT] = 0;
    slots[STOP] = NOT_STOPPED;
    const count = Math.min(threads, chunkCount(job.chunkSize, job.plaintextSize));
    const workers = Array.from({ length: count }, () => idle.pop() ?? spawn());
    const results = await Promise.allSettled(
      workers.map((worker) => runOn(worker, { ...job, control }, onProgress)),
    );
    for (const extra of idle.splice(DEFAULT_THREADS)) void extra.terminate();
    const failure = results.find(isRejected);
    if (failure) throw failure.reason;
    const stop = Atomics.load(slots, STOP);
    return stop === NOT_STOPPED ? null : stop;
  });
  queue = run.catch(() => undefined);
  return run;
}
