/**
 * Serialisation of one committed transaction as one ledger entry (deterministic: the same
 * transaction and ledger secret always give the same bytes).
 *
 * Like CCF's entries (ledger.rst, ccf-runtime.md §6): a small header, the public domain in clear
 * (tables whose name starts with `public:`), the private domain AES-256-GCM encrypted under the
 * ledger secret, the digests that make the Merkle leaf. Unlike CCF, each entry carries its own
 * write-set digest, so replay names a modified entry without waiting for the next signature.
 *
 * Layout (integers big-endian; u64 fields hold JS safe integers):
 *
 *   offset  size  field
 *   0       1     format version = 1
 *   1       1     flags: 1 private domain present, 2 claims digest set, 4 signature transaction
 *   2       2     reserved, 0
 *   4       4     entry size S in bytes (this whole entry, header to trailing digest)
 *   8       8     view
 *   16      8     seqno
 *   24      32    SHA-256(commit evidence)           (commit evidence itself is never stored)
 *   56      32    claims digest (zero when flag 2 is clear)
 *   88      4     public domain size P
 *   92      P     public domain
 *   if flag 1:
 *           12    GCM IV
 *           16    GCM tag
 *           4     private ciphertext size C
 *           C     private domain, encrypted
 *   S-32    32    write-set digest = SHA-256(bytes 0 .. S-33)
 *
 * A domain: u32 table count, then per table (sorted by name): u32 name size, name (UTF-8),
 * u32 write count, then per write (in the write set's order): u32 key size, key bytes, u32 value
 * size or 0xFFFFFFFF for a removal, value bytes.
 *
 * Private domain encryption: key derived from the ledger secret; additional data = bytes
 * 0 .. 92+P-1 (header, digests and public domain), so ciphertext cannot be moved to another entry;
 * IV = first 12 bytes of HMAC-SHA256(iv key, view ‖ seqno ‖ plaintext), a synthetic IV: derived
 * from view and seqno as in CCF, and from the plaintext so that a seqno written again after a torn
 * tail was dropped never reuses an IV with different plaintext.
 *
 * Merkle leaf = SHA-256(write-set digest ‖ SHA-256(commit evidence) ‖ claims digest).
 */
import { createCipheriv, createDecipheriv, createHmac, hash } from "node:crypto";
import type { WriteSet } from "../kv/store.js";
import type { LedgerSecret } from "./secret.js";

export const ENTRY_VERSION = 1;
export const FLAG_PRIVATE = 1;
export const FLAG_CLAIMS = 2;
export const FLAG_SIGNATURE = 4;
const KNOWN_FLAGS = FLAG_PRIVATE | FLAG_CLAIMS | FLAG_SIGNATURE;

export const HEADER_SIZE = 24;
const FIXED_SIZE = 92; // header + commit evidence digest + claims digest + public size
const PRIVATE_HEADER = 12 + 16 + 4;
export const DIGEST_SIZE = 32;
export const MIN_ENTRY_SIZE = FIXED_SIZE + DIGEST_SIZE;
const REMOVED = 0xffffffff;
const MAX_ENTRY_SIZE = 0xffffffff;

export const SIGNATURES_TABLE = "public:ccf.internal.signatures";
export const TREE_TABLE = "public:ccf.internal.tree";
const ZERO_DIGEST = new Uint8Array(32);

/** A committed transaction, as the ledger takes it and replay gives it back. */
export interface LedgerTransaction {
  view: number;
  seqno: number;
  writes: WriteSet;
  /** The application's claims digest (32 bytes), when the transaction set one. */
  claimsDigest?: Uint8Array;
}

/** What the Merkle tree and receipts need to know of an entry. */
export interface EntryDigests {
  writeSetDigest: Buffer;
  commitEvidenceDigest: Uint8Array;
  /** 32 bytes, zero when the transaction set no claims. */
  claimsDigest: Uint8Array;
  leaf: Buffer;
  isSignature: boolean;
}

export interface EncodedEntry extends EntryDigests {
  bytes: Buffer;
}

export interface DecodedEntry extends EntryDigests {
  transaction: LedgerTransaction;
  size: number;
}

export const isPublicTable = (name: string) => name.startsWith("public:");

const leafInput = Buffer.allocUnsafe(96);

export function leafOf(
  writeSetDigest: Uint8Array,
  commitEvidenceDigest: Uint8Array,
  claimsDigest: Uint8Array,
): Buffer {
  leafInput.set(writeSetDigest, 0);
  leafInput.set(commitEvidenceDigest, 32);
  leafInput.set(claimsDigest, 64);
  return hash("sha256", leafInput, "buffer");
}

type Tables = [string, Map<string, Uint8Array | undefined>][];

function domainSize(tables: Tables): number {
  let size = 4;
  for (const [name, writes] of tables) {
    size += 8 + Buffer.byteLength(name, "utf8");
    for (const [key, value] of writes) size += 8 + key.length + (value?.byteLength ?? 0);
  }
  return size;
}

function writeDomain(tables: Tables, out: Buffer, start: number): number {
  let offset = out.writeUInt32BE(tables.length, start);
  for (const [name, writes] of tables) {
    const nameOffset = offset + 4;
    const nameSize = out.write(name, nameOffset, "utf8");
    out.writeUInt32BE(nameSize, offset);
    offset = out.writeUInt32BE(writes.size, nameOffset + nameSize);
    for (const [key, value] of writes) {
      out.writeUInt32BE(key.length, offset);
      offset += 4 + out.write(key, offset + 4, "latin1");
      if (value === undefined) {
        offset = out.writeUInt32BE(REMOVED, offset);
      } else {
        offset = out.writeUInt32BE(value.byteLength, offset);
        out.set(value, offset);
        offset += value.byteLength;
      }
    }
  }
  return offset;
}

function writeU64(out: Buffer, value: number, offset: number): void {
  out.writeUInt32BE(Math.floor(value / 2 ** 32), offset);
  out.writeUInt32BE(value >>> 0, offset + 4);
}

function readU64(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset) * 2 ** 32 + buf.readUInt32BE(offset + 4);
}

const asBuffer = (buf: Uint8Array): Buffer =>
  Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);

function checkTxId(view: number, seqno: number): void {
  if (!Number.isSafeInteger(view) || view < 0 || !Number.isSafeInteger(seqno) || seqno < 1) {
    throw new RangeError(`Invalid transaction id ${view}.${seqno}.`);
  }
}

function syntheticIv(secret: LedgerSecret, header: Buffer, plaintext: Buffer): Buffer {
  return createHmac("sha256", secret.ivKey)
    .update(header.subarray(8, 24)) // view ‖ seqno
    .update(plaintext)
    .digest()
    .subarray(0, 12);
}

/** Serialises `tx` as one ledger entry. Throws TypeError/RangeError on malformed input. */
export function encodeEntry(tx: LedgerTransaction, secret: LedgerSecret): EncodedEntry {
  const { view, seqno, writes, claimsDigest } = tx;
  checkTxId(view, seqno);
  if (!(writes instanceof Map)) throw new TypeError("A transaction's writes must be a Map.");
  if (claimsDigest !== undefined && claimsDigest.byteLength !== 32) {
    throw new RangeError("A claims digest is 32 bytes.");
  }
  const publicTables: Tables = [];
  const privateTables: Tables = [];
  for (const name of [...writes.keys()].sort()) {
    const table = writes.get(name)!;
    if (!(table instanceof Map)) throw new TypeError(`Writes of table ${name} must be a Map.`);
    (isPublicTable(name) ? publicTables : privateTables).push([name, table]);
  }
  const hasPrivate = privateTables.length > 0;
  const publicSize = domainSize(publicTables);
  const privateSize = hasPrivate ? domainSize(privateTables) : 0;
  const size =
    FIXED_SIZE + publicSize + (hasPrivate ? PRIVATE_HEADER + privateSize : 0) + DIGEST_SIZE;
  if (size > MAX_ENTRY_SIZE) throw new RangeError("Transaction too large for one ledger entry.");

  const isSignature = writes.has(SIGNATURES_TABLE);
  const flags =
    (hasPrivate ? FLAG_PRIVATE : 0) |
    (claimsDigest ? FLAG_CLAIMS : 0) |
    (isSignature ? FLAG_SIGNATURE : 0);
  const bytes = Buffer.allocUnsafe(size);
  bytes.writeUInt8(ENTRY_VERSION, 0);
  bytes.writeUInt8(flags, 1);
  bytes.writeUInt16BE(0, 2);
  bytes.writeUInt32BE(size, 4);
  writeU64(bytes, view, 8);
  writeU64(bytes, seqno, 16);
  const commitEvidenceDigest = hash(
    "sha256",
    secret.commitEvidence(view, seqno),
    "buffer",
  ) as Buffer;
  bytes.set(commitEvidenceDigest, 24);
  const claims = claimsDigest ?? ZERO_DIGEST;
  bytes.set(claims, 56);
  bytes.writeUInt32BE(publicSize, 88);
  let offset = writeDomain(publicTables, bytes, FIXED_SIZE);

  if (hasPrivate) {
    const plaintext = Buffer.allocUnsafe(privateSize);
    writeDomain(privateTables, plaintext, 0);
    const iv = syntheticIv(secret, bytes, plaintext);
    const cipher = createCipheriv("aes-256-gcm", secret.encryptionKey, iv);
    cipher.setAAD(bytes.subarray(0, offset));
    const ciphertext = cipher.update(plaintext);
    cipher.final();
    bytes.set(iv, offset);
    bytes.set(cipher.getAuthTag(), offset + 12);
    bytes.writeUInt32BE(privateSize, offset + 28);
    bytes.set(ciphertext, offset + PRIVATE_HEADER);
    offset += PRIVATE_HEADER + privateSize;
  }
  const writeSetDigest = hash("sha256", bytes.subarray(0, offset), "buffer");
  bytes.set(writeSetDigest, offset);
  return {
    bytes,
    writeSetDigest,
    commitEvidenceDigest,
    claimsDigest: claims,
    leaf: leafOf(writeSetDigest, commitEvidenceDigest, claims),
    isSignature,
  };
}

/** The fixed header of an entry, readable before the rest is known to be there. */
export interface EntryHeader {
  flags: number;
  size: number;
  view: number;
  seqno: number;
}

/**
 * Reads the header at `offset`: undefined when fewer than HEADER_SIZE bytes remain, a string
 * (what is wrong) when the header is not a valid entry header.
 */
export function readHeader(bytes: Uint8Array, offset: number): EntryHeader | string | undefined {
  const buf = asBuffer(bytes);
  if (buf.length - offset < HEADER_SIZE) return undefined;
  const version = buf[offset]!;
  const flags = buf[offset + 1]!;
  if (version !== ENTRY_VERSION) return `unknown entry format version ${version}`;
  if ((flags & ~KNOWN_FLAGS) !== 0 || buf.readUInt16BE(offset + 2) !== 0) {
    return "invalid entry flags";
  }
  const size = buf.readUInt32BE(offset + 4);
  if (size < MIN_ENTRY_SIZE) return `invalid entry size ${size}`;
  const view = readU64(buf, offset + 8);
  const seqno = readU64(buf, offset + 16);
  if (!Number.isSafeInteger(view) || !Number.isSafeInteger(seqno)) {
    return "invalid transaction id";
  }
  return { flags, size, view, seqno };
}

/** Why an entry that is all there is still not valid. */
export class EntryError extends Error {}

class Reader {
  offset: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.offset = start;
  }

  private take(size: number): number {
    const at = this.offset;
    if (at + size > this.end) throw new EntryError("domain overruns its size");
    this.offset = at + size;
    return at;
  }

  u32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }

  bytes(size: number): Uint8Array {
    const at = this.take(size);
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + at, size);
  }

  text(size: number, encoding: "utf8" | "latin1"): string {
    const at = this.take(size);
    return this.buf.toString(encoding, at, at + size);
  }
}

function readDomain(buf: Buffer, start: number, end: number, isPublic: boolean): Tables {
  const reader = new Reader(buf, start, end);
  const tables: Tables = [];
  const count = reader.u32();
  for (let t = 0; t < count; t++) {
    const name = reader.text(reader.u32(), "utf8");
    if (isPublicTable(name) !== isPublic) throw new EntryError(`table ${name} in wrong domain`);
    const writes = new Map<string, Uint8Array | undefined>();
    const writeCount = reader.u32();
    for (let w = 0; w < writeCount; w++) {
      const key = reader.text(reader.u32(), "latin1");
      const valueSize = reader.u32();
      writes.set(key, valueSize === REMOVED ? undefined : reader.bytes(valueSize));
    }
    tables.push([name, writes]);
  }
  if (reader.offset !== end) throw new EntryError("domain has trailing bytes");
  return tables;
}

function merge(a: Tables, b: Tables): WriteSet {
  const writes: WriteSet = new Map();
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]![0] < b[j]![0]) ? a[i++]! : b[j++]!;
    writes.set(next[0], next[1]);
  }
  return writes;
}

/**
 * Verifies and decodes the complete entry at `offset` (its header already read). Throws
 * EntryError naming what is wrong: digest mismatch, bad framing inside, failed decryption.
 * Values in the returned write set are views of `buf`.
 */
export function decodeEntry(
  buf: Uint8Array,
  offset: number,
  header: EntryHeader,
  secret: LedgerSecret,
): DecodedEntry {
  const { flags, size, view, seqno } = header;
  const entry = Buffer.from(buf.buffer, buf.byteOffset + offset, size);
  const bodyEnd = size - DIGEST_SIZE;
  const writeSetDigest = hash("sha256", entry.subarray(0, bodyEnd), "buffer");
  if (!writeSetDigest.equals(entry.subarray(bodyEnd))) {
    throw new EntryError("write-set digest mismatch (entry modified)");
  }
  const commitEvidenceDigest = new Uint8Array(entry.buffer, entry.byteOffset + 24, 32);
  const claimsDigest = new Uint8Array(entry.buffer, entry.byteOffset + 56, 32);
  const hasClaims = (flags & FLAG_CLAIMS) !== 0;
  if (!hasClaims && entry.compare(ZERO_DIGEST, 0, 32, 56, 88) !== 0) {
    throw new EntryError("claims digest present without its flag");
  }
  const publicEnd = FIXED_SIZE + entry.readUInt32BE(88);
  if (publicEnd > bodyEnd) throw new EntryError("public domain overruns the entry");
  const publicTables = readDomain(entry, FIXED_SIZE, publicEnd, true);
  let privateTables: Tables = [];
  if (flags & FLAG_PRIVATE) {
    if (publicEnd + PRIVATE_HEADER > bodyEnd) throw new EntryError("private header overruns");
    const cipherSize = entry.readUInt32BE(publicEnd + 28);
    const cipherStart = publicEnd + PRIVATE_HEADER;
    if (cipherStart + cipherSize !== bodyEnd) throw new EntryError("private domain size mismatch");
    const decipher = createDecipheriv(
      "aes-256-gcm",
      secret.encryptionKey,
      entry.subarray(publicEnd, publicEnd + 12),
    );
    decipher.setAAD(entry.subarray(0, publicEnd));
    decipher.setAuthTag(entry.subarray(publicEnd + 12, publicEnd + 28));
    let plaintext: Buffer;
    try {
      plaintext = decipher.update(entry.subarray(cipherStart, bodyEnd));
      const rest = decipher.final(); // empty for GCM; throws when the tag fails
      if (rest.length > 0) plaintext = Buffer.concat([plaintext, rest]);
    } catch {
      throw new EntryError("private domain fails authentication (AES-GCM tag)");
    }
    privateTables = readDomain(plaintext, 0, plaintext.length, false);
  } else if (publicEnd !== bodyEnd) {
    throw new EntryError("unexpected bytes after the public domain");
  }
  const writes = merge(publicTables, privateTables);
  const isSignature = (flags & FLAG_SIGNATURE) !== 0;
  if (isSignature !== writes.has(SIGNATURES_TABLE)) {
    throw new EntryError("signature flag does not match the write set");
  }
  const transaction: LedgerTransaction = { view, seqno, writes };
  if (hasClaims) transaction.claimsDigest = claimsDigest;
  return {
    transaction,
    size,
    writeSetDigest,
    commitEvidenceDigest,
    claimsDigest: hasClaims ? claimsDigest : ZERO_DIGEST,
    leaf: leafOf(writeSetDigest, commitEvidenceDigest, claimsDigest),
    isSignature,
  };
}
