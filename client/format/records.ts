/**
 * The format's cryptographic steps (docs/formats.md): sealing the header, checking it, sealing and
 * opening one chunk record, and naming what went wrong with a record that does not open. Shared by
 * the streams (stream.ts) and the file workers (record-worker.ts), which differ only in how bytes
 * reach them.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { FormatError } from "./errors.js";
import {
  FILE_ID_SIZE,
  TAG_SIZE,
  chunkAad,
  chunkNonce,
  encodeHeaderBody,
  fileKey,
  headerAad,
  headerNonce,
  keyCheck,
  type Header,
} from "./layout.js";

const ALGORITHM = "aes-256-gcm";
/**
 * Largest slice handed to one cipher update. Each update allocates its output: slices of 64 KiB
 * come from the allocator's reused heap, where 1 MiB outputs would be fresh mmap'd pages
 * (page faults, zeroing) and halve the throughput.
 */
const SLICE = 64 * 1024;

function* slices(parts: readonly Buffer[]): Generator<Buffer> {
  for (const part of parts) {
    if (part.length <= SLICE) yield part;
    else for (let at = 0; at < part.length; at += SLICE) yield part.subarray(at, at + SLICE);
  }
}

/** A new file's random id, its file key, and its 64-byte header bound to `binding`. */
export function sealHeader(
  dek: Uint8Array,
  chunkSize: number,
  binding: Buffer,
): { header: Buffer; fileId: Buffer; key: Buffer } {
  const fileId = randomBytes(FILE_ID_SIZE);
  const key = fileKey(dek, fileId);
  const body = encodeHeaderBody(chunkSize, fileId, keyCheck(dek));
  const cipher = createCipheriv(ALGORITHM, key, headerNonce(), { authTagLength: TAG_SIZE });
  cipher.setAAD(headerAad(body, binding));
  cipher.final();
  return { header: Buffer.concat([body, cipher.getAuthTag()]), fileId, key };
}

/**
 * Authenticates a parsed header under `dek` and `binding`; returns the file key. WrongKey when the
 * key check differs, Corrupted when the tag does not verify.
 */
export function openHeader(dek: Uint8Array, binding: Buffer, header: Header): Buffer {
  if (!header.keyCheck.equals(keyCheck(dek))) {
    throw new FormatError(
      "WrongKey",
      "the file was encrypted with a different dataset key: use the key of the dataset it " +
        "belongs to (if the key is right, the file's header is damaged)",
    );
  }
  const key = fileKey(dek, header.fileId);
  const check = createDecipheriv(ALGORITHM, key, headerNonce(), { authTagLength: TAG_SIZE });
  check.setAAD(headerAad(header.body, binding));
  check.setAuthTag(header.tag);
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
  return key;
}

/** Seals chunk `index` from its plaintext `parts`: the ciphertext pieces, then the tag. */
export function sealRecord(
  key: Buffer,
  fileId: Buffer,
  index: number,
  last: boolean,
  parts: readonly Buffer[],
): Buffer[] {
  const cipher = createCipheriv(ALGORITHM, key, chunkNonce(index), { authTagLength: TAG_SIZE });
  cipher.setAAD(chunkAad(fileId, index, last));
  const out: Buffer[] = [];
  for (const slice of slices(parts)) out.push(cipher.update(slice));
  cipher.final();
  out.push(cipher.getAuthTag());
  return out;
}

/** Opens chunk `index` from its ciphertext `parts` and `tag`; null when it does not authenticate. */
export function openRecord(
  key: Buffer,
  fileId: Buffer,
  index: number,
  last: boolean,
  parts: readonly Buffer[],
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
export function diagnose(
  key: Buffer,
  fileId: Buffer,
  position: number,
  finalRecord: boolean,
  parts: readonly Buffer[],
  tag: Buffer,
): FormatError {
  const where = { chunk: position };
  if (finalRecord && openRecord(key, fileId, position, false, parts, tag)) {
    return new FormatError(
      "Truncated",
      `the file ends after chunk ${position}, which is not its final chunk: the copy is ` +
        "incomplete; copy or download it again",
      where,
    );
  }
  if (!finalRecord && openRecord(key, fileId, position, true, parts, tag)) {
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
      if (openRecord(key, fileId, j, last, parts, tag)) {
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
