/**
 * File and folder encryption over the streaming format. Outputs are written under a temporary
 * name in the destination folder and renamed only when complete (and, when decrypting, verified
 * to the last chunk), so a failure never leaves a partial output file behind.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import type { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { FormatError } from "./errors.js";
import {
  decryptStream,
  encryptStream,
  type DecryptOptions,
  type EncryptOptions,
} from "./stream.js";

/** Progress of a file or folder operation, in input bytes. */
export type ProgressCallback = (bytesDone: number, bytesTotal: number) => void;

export interface FileOptions {
  /** Dataset binding (see StreamOptions.binding). */
  binding?: string | Uint8Array;
  onProgress?: ProgressCallback;
  /** fsync each output before renaming it into place (default true). */
  durable?: boolean;
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

/** Writes `output` through `write(temporaryPath)`; renames on success, removes on failure. */
async function writeAtomically(
  output: string,
  durable: boolean,
  write: (temporary: string) => Promise<void>,
): Promise<void> {
  const folder = dirname(resolve(output));
  await mkdir(folder, { recursive: true });
  const temporary = join(folder, `.${basename(output)}.${randomBytes(6).toString("hex")}.partial`);
  try {
    await write(temporary);
    if (durable) {
      const handle = await open(temporary, "r+");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await rename(temporary, output);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function transformFile(
  input: string,
  output: string,
  transform: (onBytes: (done: number) => void) => Transform,
  options: FileOptions,
  progress: (done: number) => void,
  mode: number,
): Promise<void> {
  try {
    await writeAtomically(output, options.durable ?? true, (temporary) =>
      pipeline(
        createReadStream(input, { highWaterMark: READ_SIZE }),
        transform(progress),
        createWriteStream(temporary, { flags: "wx", mode, highWaterMark: WRITE_BUFFER }),
      ),
    );
  } catch (error) {
    throw error instanceof FormatError ? error.withPath(input) : error;
  }
}

/** Encrypts the file `input` into `output` (replaced atomically if it exists). */
export async function encryptFile(
  dek: Uint8Array,
  input: string,
  output: string,
  options: EncryptFileOptions = {},
): Promise<void> {
  const total = (await stat(input)).size;
  await transformFile(
    input,
    output,
    (onProgress) => encryptStream(dek, { ...streamOptions(options), onProgress }),
    options,
    (done) => options.onProgress?.(done, total),
    0o644,
  );
}

/**
 * Decrypts and verifies `input` into `output` (created readable by its owner only); on any error
 * no output file is left and an existing `output` is untouched.
 */
export async function decryptFile(
  dek: Uint8Array,
  input: string,
  output: string,
  options: DecryptFileOptions = {},
): Promise<void> {
  const total = (await stat(input)).size;
  await transformFile(
    input,
    output,
    (onProgress) => decryptStream(dek, { ...decryptOptions(options), onProgress }),
    options,
    (done) => options.onProgress?.(done, total),
    0o600, // plaintext: readable by its owner only
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

/** Regular files under `root` (following symbolic links to files), sorted, as relative paths. */
export async function listFiles(root: string): Promise<FolderEntry[]> {
  const out: FolderEntry[] = [];
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    for (const entry of entries) {
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
