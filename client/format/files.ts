/**
 * File and folder encryption over the streaming format. Outputs are written under a temporary
 * name in the destination folder and renamed only when complete (and, when decrypting, verified
 * to the last chunk), so a failure never leaves a partial output file behind.
 */
import { createReadStream, createWriteStream, type Stats } from "node:fs";
import { mkdir, open, readdir, rm, stat, type FileHandle } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import type { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isTemporaryName, writeAtomically } from "../temporary.js";
import { FormatError } from "./errors.js";
import { DEFAULT_CHUNK_SIZE, bindingBytes, parseHeader } from "./layout.js";
import { openHeader } from "./records.js";
import {
  openFile,
  plannable,
  readHeaderBytes,
  sealFile,
  type ParallelOptions,
} from "./parallel.js";
import { MAX_THREADS } from "./record-job.js";
import {
  decryptStream,
  encryptStream,
  type DecryptOptions,
  type EncryptOptions,
} from "./stream.js";
import { DEFAULT_THREADS } from "./workers.js";

/** Progress of a file or folder operation, in input bytes. */
export type ProgressCallback = (bytesDone: number, bytesTotal: number) => void;

export interface FileOptions {
  /** Dataset binding (see StreamOptions.binding). */
  binding?: string | Uint8Array;
  onProgress?: ProgressCallback;
  /** fsync each output before renaming it into place (default true). */
  durable?: boolean;
  /**
   * Threads that seal or open a file's chunks, 1 to 64. Default: files of 64 MiB or more get one
   * thread per CPU (up to 4, see workers.ts), smaller ones stream on the calling thread. Given,
   * it applies whatever the size (1 always streams); files that are not regular files (pipes,
   * /proc) always stream.
   */
  threads?: number;
}

export interface EncryptFileOptions extends FileOptions {
  chunkSize?: number;
}

export type DecryptFileOptions = FileOptions;

export interface FolderEntry {
  /** Path relative to the folder, with the platform's separator. */
  path: string;
  /** Input bytes. */
  bytes: number;
}

/** Read size: large reads keep the thread-pool round trips per byte low. */
const READ_SIZE = 1024 * 1024;
/**
 * Output buffered before writing: room for a few chunks, so the stream batches them into one
 * writev and never waits on the thread pool between chunks (fewer cross-thread round trips).
 */
const WRITE_BUFFER = 4 * 1024 * 1024;

/**
 * Files from this size up go to the file workers by default. Starting the threads costs ~40 ms
 * the first time (measured: a 32 MiB file is still faster on one thread, a 64 MiB one is not).
 */
const PARALLEL_FROM = 64 * 1024 * 1024;

/** Threads for the file `info` describes: 1 streams it (always so for a pipe or /proc file). */
function threadsFor(options: FileOptions, info: Stats): number {
  const threads = options.threads ?? (info.size >= PARALLEL_FROM ? DEFAULT_THREADS : 1);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`threads must be a whole number from 1 to ${MAX_THREADS}, not ${threads}`);
  }
  // Opened once only: a pipe read here could not be read again by the stream.
  return plannable(info) ? threads : 1;
}

/** Opens `input` and creates `output` (which must not exist) for `work`; closes both. */
async function withFiles<T>(
  input: string,
  output: string,
  mode: number,
  work: (source: FileHandle, target: FileHandle) => Promise<T>,
): Promise<T> {
  const source = await open(input, "r");
  try {
    const target = await open(output, "wx", mode);
    try {
      return await work(source, target);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

/** Streams `input` through `transform` into the new file `output`. */
function streamFile(input: string, output: string, mode: number, transform: Transform) {
  return pipeline(
    createReadStream(input, { highWaterMark: READ_SIZE }),
    transform,
    createWriteStream(output, { flags: "wx", mode, highWaterMark: WRITE_BUFFER }),
  );
}

/**
 * Writes `output` atomically from `input`: on the file workers (`onThreads`, which says whether
 * they took the file) when the file gets more than one thread, else through the stream
 * `transform`. Format errors name `input`. Refuses an output that is the input itself (renaming
 * the result over it would destroy the input).
 */
async function transformFile(
  input: string,
  output: string,
  options: FileOptions,
  mode: number,
  onThreads: (
    source: FileHandle,
    target: FileHandle,
    parallel: ParallelOptions,
  ) => Promise<boolean>,
  transform: (onProgress: (done: number) => void) => Transform,
): Promise<void> {
  const [from, to] = await Promise.all([stat(input), stat(output).catch(() => null)]);
  if (to !== null && to.dev === from.dev && to.ino === from.ino) {
    throw new RangeError(`${output} is the input file itself: write the output to another path`);
  }
  const threads = threadsFor(options, from);
  const onProgress = (done: number) => options.onProgress?.(done, from.size);
  const parallel = { binding: bindingBytes(options.binding), threads, onProgress };
  try {
    await writeAtomically(output, options.durable ?? true, async (temporary) => {
      if (threads > 1) {
        const taken = await withFiles(input, temporary, mode, (source, target) =>
          onThreads(source, target, parallel),
        );
        if (taken) return;
        await rm(temporary); // empty: the stream takes the file (and names what is wrong with it)
      }
      await streamFile(input, temporary, mode, transform(onProgress));
    });
  } catch (error) {
    throw error instanceof FormatError ? error.withPath(input) : error;
  }
}

/**
 * Checks, reading only its header, that `path` is an encrypted file and (given the dataset key and
 * binding) one of that dataset: the check to make before uploading files as a dataset's objects.
 */
export async function checkEncryptedFile(
  path: string,
  key?: { dek: Uint8Array; binding: string | Uint8Array },
): Promise<void> {
  const handle = await open(path, "r");
  try {
    const header = parseHeader(await readHeaderBytes(handle));
    if (key !== undefined) openHeader(key.dek, bindingBytes(key.binding), header);
  } catch (error) {
    throw error instanceof FormatError ? error.withPath(path) : error;
  } finally {
    await handle.close();
  }
}

/** Encrypts the file `input` into `output` (replaced atomically if it exists). */
export function encryptFile(
  dek: Uint8Array,
  input: string,
  output: string,
  options: EncryptFileOptions = {},
): Promise<void> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  return transformFile(
    input,
    output,
    options,
    0o644,
    (source, target, parallel) => sealFile(dek, source, target, chunkSize, parallel),
    (onProgress) => encryptStream(dek, { ...streamOptions(options), onProgress }),
  );
}

/**
 * Decrypts and verifies `input` into `output` (created readable by its owner only); on any error
 * no output file is left and an existing `output` is untouched.
 */
export function decryptFile(
  dek: Uint8Array,
  input: string,
  output: string,
  options: DecryptFileOptions = {},
): Promise<void> {
  return transformFile(
    input,
    output,
    options,
    0o600, // plaintext: readable by its owner only
    (source, target, parallel) => openFile(dek, source, target, parallel),
    (onProgress) => decryptStream(dek, { ...decryptOptions(options), onProgress }),
  );
}

function streamOptions(options: EncryptFileOptions): EncryptOptions {
  return {
    ...(options.binding === undefined ? {} : { binding: options.binding }),
    ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
  };
}

function decryptOptions(options: DecryptFileOptions): DecryptOptions {
  return options.binding === undefined ? {} : { binding: options.binding };
}

/**
 * Regular files under `root` (following symbolic links to files), sorted, as relative paths;
 * without the temporary files of unfinished writes (client/temporary.ts).
 */
export async function listFiles(root: string): Promise<FolderEntry[]> {
  const out: FolderEntry[] = [];
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    for (const entry of entries) {
      if (isTemporaryName(entry.name)) continue; // an unfinished output of an interrupted command
      const full = join(folder, entry.name);
      if (entry.isDirectory()) {
        await walk(full);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        const info = await stat(full);
        if (info.isFile()) out.push({ path: relative(root, full), bytes: info.size });
      }
    }
  };
  await walk(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function transformFolder(
  input: string,
  output: string,
  options: FileOptions,
  one: (from: string, to: string, progress: (done: number) => void) => Promise<void>,
): Promise<FolderEntry[]> {
  const from = resolve(input);
  const to = resolve(output);
  if (to === from || to.startsWith(from + sep)) {
    throw new RangeError(`the output folder ${output} must not be inside the input folder`);
  }
  if (!(await stat(from)).isDirectory()) throw new RangeError(`${input} is not a folder`);
  const files = await listFiles(from);
  const total = files.reduce((sum, file) => sum + file.bytes, 0);
  let before = 0;
  await mkdir(to, { recursive: true });
  for (const file of files) {
    await one(join(from, file.path), join(to, file.path), (done) =>
      options.onProgress?.(before + done, total),
    );
    before += file.bytes;
  }
  return files;
}

/**
 * Encrypts every file under `input` into the same relative path under `output`, each with its
 * own file id. Stops at the first error; files already written are complete.
 */
export function encryptFolder(
  dek: Uint8Array,
  input: string,
  output: string,
  options: EncryptFileOptions = {},
): Promise<FolderEntry[]> {
  return transformFolder(input, output, options, (from, to, progress) =>
    encryptFile(dek, from, to, { ...options, onProgress: (done) => progress(done) }),
  );
}

/**
 * Decrypts every file under `input` into the same relative path under `output`. Stops at the
 * first error (a FormatError naming the file); files already written are complete and verified.
 */
export function decryptFolder(
  dek: Uint8Array,
  input: string,
  output: string,
  options: DecryptFileOptions = {},
): Promise<FolderEntry[]> {
  return transformFolder(input, output, options, (from, to, progress) =>
    decryptFile(dek, from, to, { ...options, onProgress: (done) => progress(done) }),
  );
}
