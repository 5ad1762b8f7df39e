/**
 * Streaming encryption and decryption (docs/formats.md): Node Transform streams holding at most
 * about one chunk, so memory stays flat whatever the file size.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { FormatError } from "./errors.js";
import {
  DEFAULT_CHUNK_SIZE,
  FILE_ID_SIZE,
  HEADER_SIZE,
  MAGIC,
  MAX_CHUNKS,
  TAG_SIZE,
  bindingBytes,
  checkChunkSize,
  checkDek,
  chunkAad,
  chunkNonce,
  encodeHeaderBody,
  fileKey,
  hasMagicPrefix,
  headerAad,
  headerNonce,
  keyCheck,
  parseHeader,
  type Header,
} from "./layout.js";
import { ByteQueue } from "./queue.js";

const ALGORITHM = "aes-256-gcm";
/**
 * Largest slice handed to one cipher update. Each update allocates its output: slices of 64 KiB
 * come from the allocator's reused heap, where 1 MiB outputs would be fresh mmap'd pages
 * (page faults, zeroing) and halve the throughput.
 */
const SLICE = 64 * 1024;

function* slices(parts: Buffer[]): Generator<Buffer> {
  for (const part of parts) {
    if (part.length <= SLICE) yield part;
    else for (let at = 0; at < part.length; at += SLICE) yield part.subarray(at, at + SLICE);
  }
}

/**
 * Runs the work for one written piece, then calls back. The work runs in a microtask, not inside
 * the source's write: a file source asks for its next read with process.nextTick, which runs
 * before microtasks, so that read overlaps this piece's AES instead of following it (otherwise
 * the main thread waits for a read about once per chunk).
 */
function afterTick(work: () => void, callback: TransformCallback): void {
  queueMicrotask(() => {
    try {
      work();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  });
}

export interface StreamOptions {
  /**
   * Extra associated data binding the file to its context, e.g. the dataset id. Authenticated in
   * the header, not stored: decryption must be given the same value.
   */
  binding?: string | Uint8Array;
  /** Called with the number of input bytes consumed so far. */
  onProgress?: (bytesDone: number) => void;
}

export interface EncryptOptions extends StreamOptions {
  /** Plaintext bytes per chunk (default 1 MiB). */
  chunkSize?: number;
}

export type DecryptOptions = StreamOptions;

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  throw new TypeError("encrypted file streams carry bytes (Buffer or Uint8Array)");
}

/** A Transform from plaintext bytes to the encrypted format. */
export function encryptStream(dek: Uint8Array, options: EncryptOptions = {}): Transform {
  checkDek(dek);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  checkChunkSize(chunkSize);
  const binding = bindingBytes(options.binding);
  const fileId = randomBytes(FILE_ID_SIZE);
  const key = fileKey(dek, fileId);
  const body = encodeHeaderBody(chunkSize, fileId, keyCheck(dek));
  const headerCipher = createCipheriv(ALGORITHM, key, headerNonce(), { authTagLength: TAG_SIZE });
  headerCipher.setAAD(headerAad(body, binding));
  headerCipher.final();
  const header = Buffer.concat([body, headerCipher.getAuthTag()]);

  const queue = new ByteQueue();
  let index = 0;
  let consumed = 0;
  let started = false;

  const seal = (stream: Transform, last: boolean): void => {
    if (index >= MAX_CHUNKS) throw new RangeError("too many chunks for one file");
    const parts = queue.take(last ? queue.length : chunkSize);
    const cipher = createCipheriv(ALGORITHM, key, chunkNonce(index), { authTagLength: TAG_SIZE });
    cipher.setAAD(chunkAad(fileId, index, last));
    for (const slice of slices(parts)) stream.push(cipher.update(slice));
    cipher.final();
    stream.push(cipher.getAuthTag());
    index++;
  };
  const start = (stream: Transform): void => {
    if (!started) {
      started = true;
      stream.push(header);
    }
  };

  return new Transform({
    transform(chunk: unknown, _encoding: BufferEncoding, callback: TransformCallback) {
      afterTick(() => {
        const bytes = toBuffer(chunk);
        start(this);
        queue.push(bytes);
        // A chunk is sealed only once a byte beyond it has arrived: then it is known not last.
        while (queue.length > chunkSize) seal(this, false);
        consumed += bytes.length;
        options.onProgress?.(consumed);
      }, callback);
    },
    flush(callback: TransformCallback) {
      try {
        start(this);
        seal(this, true); // the last chunk: short, full, or empty for a 0-byte file
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** Opens one chunk; null when it does not authenticate under (index, last). */
function open(
  key: Buffer,
  fileId: Buffer,
  index: number,
  last: boolean,
  parts: Buffer[],
  tag: Buffer,
): Buffer[] | null {
  const decipher = createDecipheriv(ALGORITHM, key, chunkNonce(index), {
    authTagLength: TAG_SIZE,
  });
  decipher.setAAD(chunkAad(fileId, index, last));
  decipher.setAuthTag(tag);
  const out: Buffer[] = [];
  for (const slice of slices(parts)) out.push(decipher.update(slice));
  try {
    decipher.final();
  } catch {
    return null;
  }
  return out;
}

/** How far around a failing position the decryptor looks for a moved chunk. */
const REORDER_WINDOW = 16;

/**
 * Names what went wrong with the chunk record at `position`, which failed as (position, last).
 * Only runs after a failure; tries a few other (index, last) pairs to tell moves from damage.
 */
function diagnose(
  key: Buffer,
  fileId: Buffer,
  position: number,
  finalRecord: boolean,
  parts: Buffer[],
  tag: Buffer,
): FormatError {
  const where = { chunk: position };
  if (finalRecord && open(key, fileId, position, false, parts, tag)) {
    return new FormatError(
      "Truncated",
      `the file ends after chunk ${position}, which is not its final chunk: the copy is ` +
        "incomplete; copy or download it again",
      where,
    );
  }
  if (!finalRecord && open(key, fileId, position, true, parts, tag)) {
    return new FormatError(
      "Extended",
      `chunk ${position} is the file's final chunk, yet data follows it: something was appended; ` +
        "copy or download the file again",
      where,
    );
  }
  const from = Math.max(0, position - REORDER_WINDOW);
  for (let j = from; j <= position + REORDER_WINDOW; j++) {
    if (j === position) continue;
    for (const last of [false, true]) {
      if (open(key, fileId, j, last, parts, tag)) {
        return new FormatError(
          "Reordered",
          `chunk ${j} of this file was found at position ${position}: chunks were removed, ` +
            "duplicated or moved; copy or download the file again",
          where,
        );
      }
    }
  }
  return new FormatError(
    "Corrupted",
    `chunk ${position}${finalRecord ? " (the last in the file)" : ""} failed authentication: ` +
      "the file is damaged" +
      (finalRecord ? ", cut short or extended" : " or holds data from another file") +
      "; copy or download it again",
    where,
  );
}

/** A Transform from the encrypted format to plaintext; emits only authenticated chunks. */
export function decryptStream(dek: Uint8Array, options: DecryptOptions = {}): Transform {
  checkDek(dek);
  const binding = bindingBytes(options.binding);
  const expectedCheck = keyCheck(dek);
  const queue = new ByteQueue();
  let header: Header | null = null;
  let key: Buffer = Buffer.alloc(0);
  let record = 0;
  let index = 0;
  let consumed = 0;

  const readHeader = (): void => {
    const parsed = parseHeader(queue.peek(HEADER_SIZE));
    if (!parsed.keyCheck.equals(expectedCheck)) {
      throw new FormatError(
        "WrongKey",
        "the file was encrypted with a different dataset key: use the key of the dataset it " +
          "belongs to (if the key is right, the file's header is damaged)",
      );
    }
    key = fileKey(dek, parsed.fileId);
    const check = createDecipheriv(ALGORITHM, key, headerNonce(), { authTagLength: TAG_SIZE });
    check.setAAD(headerAad(parsed.body, binding));
    check.setAuthTag(parsed.tag);
    try {
      check.final();
    } catch {
      throw new FormatError(
        "Corrupted",
        "the file's header failed authentication: either it is damaged, or it was encrypted for " +
          `another dataset (binding ${binding.length > 0 ? JSON.stringify(binding.toString("utf8")) : "empty"} ` +
          "given here); check the dataset, or copy or download the file again",
      );
    }
    queue.take(HEADER_SIZE);
    header = parsed;
    record = parsed.chunkSize + TAG_SIZE;
  };

  const openNext = (stream: Transform, size: number, last: boolean): void => {
    const parts = queue.take(size - TAG_SIZE);
    const tag = Buffer.concat(queue.take(TAG_SIZE));
    const fileId = header!.fileId;
    const plain = open(key, fileId, index, last, parts, tag);
    if (plain === null) throw diagnose(key, fileId, index, last, parts, tag);
    for (const part of plain) stream.push(part);
    index++;
  };

  return new Transform({
    transform(chunk: unknown, _encoding: BufferEncoding, callback: TransformCallback) {
      afterTick(() => {
        const bytes = toBuffer(chunk);
        queue.push(bytes);
        if (header === null) {
          if (!hasMagicPrefix(queue.peek(MAGIC.length))) parseHeader(queue.peek(MAGIC.length));
          if (queue.length >= HEADER_SIZE) readHeader();
        }
        // A record is opened only once a byte beyond it has arrived: then it is known not last.
        if (header !== null) while (queue.length > record) openNext(this, record, false);
        consumed += bytes.length;
        options.onProgress?.(consumed);
      }, callback);
    },
    flush(callback: TransformCallback) {
      try {
        if (header === null) {
          if (queue.length === 0) {
            throw new FormatError(
              "NotEncrypted",
              "the file is empty, so not a cleanroom encrypted file (even an empty dataset " +
                "file has a header): check that you passed the right file",
            );
          }
          parseHeader(queue.peek(HEADER_SIZE)); // throws NotEncrypted or Truncated
          readHeader();
        }
        if (queue.length < TAG_SIZE) {
          throw new FormatError(
            "Truncated",
            queue.length === 0
              ? "the file ends after its header, before its first chunk: the copy is incomplete; " +
                  "copy or download it again"
              : `the file ends inside chunk ${index}: the copy is incomplete; copy or download ` +
                  "it again",
            { chunk: index },
          );
        }
        openNext(this, queue.length, true);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}
