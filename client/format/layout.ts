/**
 * The byte layout of the encrypted file format, version 1 (docs/formats.md): header encoding and
 * parsing, key derivation, nonces and associated data. Pure functions, no streams.
 */
import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { FormatError } from "./errors.js";

/** 0x89 "CRENC" CR LF: a non-ASCII first byte and a CR LF catch text-mode or 7-bit transfers. */
export const MAGIC = Buffer.from([0x89, 0x43, 0x52, 0x45, 0x4e, 0x43, 0x0d, 0x0a]);
export const VERSION = 1;
/** Algorithm 1: AES-256-GCM chunks under per-file keys derived with HKDF-SHA-256. */
export const ALGORITHM_AES256GCM_HKDF = 1;
export const HEADER_SIZE = 64;
/** Bytes of the header covered by the header tag (everything before the tag). */
export const HEADER_BODY_SIZE = 48;
export const TAG_SIZE = 16;
export const FILE_ID_SIZE = 16;
export const KEY_CHECK_SIZE = 16;
export const DEK_SIZE = 32;
export const NONCE_SIZE = 12;
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
export const MIN_CHUNK_SIZE = 1;
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
/** Chunk indices stay below 2^53 (a JS number); the nonce space allows 2^64. */
export const MAX_CHUNKS = Number.MAX_SAFE_INTEGER;

const FILE_KEY_INFO = Buffer.from("cleanroom/format/v1 file key");
const KEY_CHECK_INFO = Buffer.from("cleanroom/format/v1 key check");
/** The header tag's nonce: never a chunk nonce, whose first four bytes are zero. */
const HEADER_NONCE = Buffer.alloc(NONCE_SIZE, 0xff);

export interface Header {
  version: number;
  algorithm: number;
  chunkSize: number;
  fileId: Buffer;
  keyCheck: Buffer;
  /** The 48 authenticated bytes, as found in the file. */
  body: Buffer;
  tag: Buffer;
}

/** A fresh random 256-bit data encryption key. */
export function generateDek(): Buffer {
  return randomBytes(DEK_SIZE);
}

export function checkDek(dek: Uint8Array): void {
  if (!(dek instanceof Uint8Array)) throw new TypeError("the dataset key must be a Uint8Array");
  if (dek.length !== DEK_SIZE) {
    throw new RangeError(`the dataset key must be ${DEK_SIZE} bytes, not ${dek.length}`);
  }
}

export function checkChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new RangeError(
      `chunk size must be an integer from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}, not ${chunkSize}`,
    );
  }
}

/** Per-file AES-256 key: HKDF-SHA-256(ikm = DEK, salt = file id, info = label). */
export function fileKey(dek: Uint8Array, fileId: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", dek, fileId, FILE_KEY_INFO, 32));
}

/** Identifies the DEK without revealing it: HMAC-SHA-256(DEK, label), first 16 bytes. */
export function keyCheck(dek: Uint8Array): Buffer {
  return createHmac("sha256", dek).update(KEY_CHECK_INFO).digest().subarray(0, KEY_CHECK_SIZE);
}

/** Chunk i's nonce: 4 zero bytes, then i as a big-endian uint64. */
export function chunkNonce(index: number): Buffer {
  const nonce = Buffer.alloc(NONCE_SIZE);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  return nonce;
}

export function headerNonce(): Buffer {
  return Buffer.from(HEADER_NONCE);
}

/** Chunk i's associated data: file id (16) ‖ i (uint64 BE) ‖ last flag (1 byte, 0 or 1). */
export function chunkAad(fileId: Uint8Array, index: number, last: boolean): Buffer {
  const aad = Buffer.alloc(FILE_ID_SIZE + 9);
  aad.set(fileId, 0);
  aad.writeBigUInt64BE(BigInt(index), FILE_ID_SIZE);
  aad[FILE_ID_SIZE + 8] = last ? 1 : 0;
  return aad;
}

/** The header tag's associated data: the 48-byte header body ‖ the caller's binding. */
export function headerAad(body: Uint8Array, binding: Uint8Array): Buffer {
  return Buffer.concat([body, binding]);
}

export function bindingBytes(binding: string | Uint8Array | undefined): Buffer {
  if (binding === undefined) return Buffer.alloc(0);
  if (typeof binding === "string") return Buffer.from(binding, "utf8");
  if (binding instanceof Uint8Array) return Buffer.from(binding);
  throw new TypeError("binding must be a string or a Uint8Array");
}

/** The 48-byte header body (without its tag). */
export function encodeHeaderBody(chunkSize: number, fileId: Uint8Array, check: Uint8Array): Buffer {
  const body = Buffer.alloc(HEADER_BODY_SIZE);
  MAGIC.copy(body, 0);
  body[8] = VERSION;
  body[9] = ALGORITHM_AES256GCM_HKDF;
  body.writeUInt16BE(0, 10);
  body.writeUInt32BE(chunkSize, 12);
  body.set(fileId, 16);
  body.set(check, 32);
  return body;
}

/** True when `bytes` starts like an encrypted file (or is a prefix of the magic). */
export function hasMagicPrefix(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, MAGIC.length);
  return Buffer.from(bytes.buffer, bytes.byteOffset, n).equals(MAGIC.subarray(0, n));
}

/**
 * Parses the 64-byte header without a key (nothing here is secret). Checks magic, version,
 * algorithm, flags and chunk size; the tag is checked by the decryptor, which has the key.
 */
export function parseHeader(bytes: Uint8Array): Header {
  if (bytes.length < MAGIC.length || !hasMagicPrefix(bytes)) {
    throw new FormatError(
      "NotEncrypted",
      "not a cleanroom encrypted file (it does not start with the format's magic bytes): " +
        "check that you passed the encrypted file, not the plaintext",
    );
  }
  if (bytes.length < HEADER_SIZE) {
    throw new FormatError(
      "Truncated",
      `the file ends inside its ${HEADER_SIZE}-byte header (${bytes.length} bytes): ` +
        "the copy is incomplete; copy or download it again",
    );
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
  const version = buf[8]!;
  if (version !== VERSION) {
    throw new FormatError(
      "UnsupportedVersion",
      `the file uses format version ${version}, and this cleanroom reads only version ${VERSION}: ` +
        "upgrade cleanroom (or, if the file should be version 1, it is damaged)",
    );
  }
  const algorithm = buf[9]!;
  const flags = buf.readUInt16BE(10);
  if (algorithm !== ALGORITHM_AES256GCM_HKDF || flags !== 0) {
    throw new FormatError(
      "UnsupportedVersion",
      `the file uses algorithm ${algorithm} with flags 0x${flags.toString(16)}, which this ` +
        "cleanroom does not know: upgrade cleanroom (or the header is damaged)",
    );
  }
  const chunkSize = buf.readUInt32BE(12);
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new FormatError(
      "Corrupted",
      `the header's chunk size (${chunkSize}) is out of range: the file is damaged; copy or ` +
        "download it again",
    );
  }
  return {
    version,
    algorithm,
    chunkSize,
    fileId: Buffer.from(buf.subarray(16, 32)),
    keyCheck: Buffer.from(buf.subarray(32, 48)),
    body: Buffer.from(buf.subarray(0, HEADER_BODY_SIZE)),
    tag: Buffer.from(buf.subarray(HEADER_BODY_SIZE, HEADER_SIZE)),
  };
}

/** Number of chunks of a plaintext of `plaintextSize` bytes (a 0-byte plaintext has one). */
export function chunkCount(chunkSize: number, plaintextSize: number): number {
  return Math.max(1, Math.ceil(plaintextSize / chunkSize));
}

/** Size of the encrypted file for `plaintextSize` bytes: header + one tag per chunk. */
export function encryptedSize(plaintextSize: number, chunkSize = DEFAULT_CHUNK_SIZE): number {
  checkChunkSize(chunkSize);
  return HEADER_SIZE + plaintextSize + chunkCount(chunkSize, plaintextSize) * TAG_SIZE;
}

/** Plaintext size of a well-formed encrypted file of `fileSize` bytes, or null if impossible. */
export function plaintextSize(fileSize: number, chunkSize: number): number | null {
  checkChunkSize(chunkSize);
  const body = fileSize - HEADER_SIZE;
  if (body < TAG_SIZE) return null;
  const record = chunkSize + TAG_SIZE;
  const full = Math.floor((body - 1) / record); // full records before the last one
  const lastRecord = body - full * record;
  if (lastRecord < TAG_SIZE || lastRecord > record) return null;
  if (full > 0 && lastRecord === TAG_SIZE) return null; // only a 0-byte file has an empty chunk
  return full * chunkSize + lastRecord - TAG_SIZE;
}
