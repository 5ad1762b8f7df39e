/**
 * Streaming encryption and decryption (docs/formats.md): Node Transform streams holding at most
 * about one chunk, so memory stays flat whatever the file size.
 */
import { Transform, type TransformCallback } from "node:stream";
import { FormatError } from "./errors.js";
import {
  DEFAULT_CHUNK_SIZE,
  HEADER_SIZE,
  MAGIC,
  MAX_CHUNKS,
  TAG_SIZE,
  bindingBytes,
  checkChunkSize,
  checkDek,
  hasMagicPrefix,
  parseHeader,
  type Header,
} from "./layout.js";
import { ByteQueue } from "./queue.js";
import { diagnose, openHeader, openRecord, sealHeader, sealRecord } from "./records.js";

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
  const { header, fileId, key } = sealHeader(dek, chunkSize, binding);

  const queue = new ByteQueue();
  let index = 0;
  let consumed = 0;
  let started = false;

  const seal = (stream: Transform, last: boolean): void => {
    if (index >= MAX_CHUNKS) throw new RangeError("too many chunks for one file");
    const parts = queue.take(last ? queue.length : chunkSize);
    for (const piece of sealRecord(key, fileId, index, last, parts)) stream.push(piece);
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

/** A Transform from the encrypted format to plaintext; emits only authenticated chunks. */
export function decryptStream(dek: Uint8Array, options: DecryptOptions = {}): Transform {
  checkDek(dek);
  const binding = bindingBytes(options.binding);
  const queue = new ByteQueue();
  let header: Header | null = null;
  let key: Buffer = Buffer.alloc(0);
  let record = 0;
  let index = 0;
  let consumed = 0;

  const readHeader = (): void => {
    const parsed = parseHeader(queue.peek(HEADER_SIZE));
    key = openHeader(dek, binding, parsed);
    queue.take(HEADER_SIZE);
    header = parsed;
    record = parsed.chunkSize + TAG_SIZE;
  };

  const openNext = (stream: Transform, size: number, last: boolean): void => {
    const parts = queue.take(size - TAG_SIZE);
    const tag = Buffer.concat(queue.take(TAG_SIZE));
    const fileId = header!.fileId;
    const plain = openRecord(key, fileId, index, last, parts, tag);
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
