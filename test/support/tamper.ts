/**
 * Tamperings of encrypted file images for the format's property tests: each kind of damage the
 * format must detect (a changed bit, a cut, an extension, deleted or inserted bytes, swapped,
 * duplicated or foreign chunk records).
 */
import fc from "fast-check";
import { HEADER_SIZE, TAG_SIZE } from "../../client/format/layout.js";

/** One tampering of an encrypted file image; each is applied to a copy. */
export type Tamper =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "truncate"; at: number }
  | { kind: "append"; bytes: Uint8Array }
  | { kind: "delete"; at: number; length: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "swap"; a: number; b: number }
  | { kind: "duplicate"; record: number }
  | { kind: "splice"; record: number };

export const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  fc.record({ kind: fc.constant("flip"), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("truncate"), at: fc.nat() }),
  fc.record({ kind: fc.constant("append"), bytes: fc.uint8Array({ minLength: 1, maxLength: 80 }) }),
  fc.record({ kind: fc.constant("delete"), at: fc.nat(), length: fc.integer({ min: 1, max: 80 }) }),
  fc.record({
    kind: fc.constant("insert"),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 80 }),
  }),
  fc.record({ kind: fc.constant("swap"), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate"), record: fc.nat() }),
  fc.record({ kind: fc.constant("splice"), record: fc.nat() }),
) as fc.Arbitrary<Tamper>;

function split(file: Buffer, chunkSize: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = HEADER_SIZE; at < file.length; at += chunkSize + TAG_SIZE) {
    out.push(file.subarray(at, Math.min(file.length, at + chunkSize + TAG_SIZE)));
  }
  return out;
}

/** `file` with `t` applied (a copy); `other` is another file of the same DEK and chunk size. */
export function apply(file: Buffer, other: Buffer, chunkSize: number, t: Tamper): Buffer {
  const head = file.subarray(0, HEADER_SIZE);
  const parts = split(file, chunkSize);
  const moves = t.kind === "swap" || t.kind === "duplicate" || t.kind === "splice";
  if (moves && parts.length === 0) return file; // no record to move: nothing changes
  switch (t.kind) {
    case "flip": {
      const copy = Buffer.from(file);
      const at = t.at % copy.length;
      copy[at] = copy[at]! ^ (1 << t.bit);
      return copy;
    }
    case "truncate":
      return file.subarray(0, t.at % file.length);
    case "append":
      return Buffer.concat([file, t.bytes]);
    case "delete": {
      const at = t.at % file.length;
      return Buffer.concat([file.subarray(0, at), file.subarray(at + t.length)]);
    }
    case "insert": {
      const at = t.at % (file.length + 1);
      return Buffer.concat([file.subarray(0, at), t.bytes, file.subarray(at)]);
    }
    case "swap": {
      const a = t.a % parts.length;
      const b = t.b % parts.length;
      [parts[a], parts[b]] = [parts[b]!, parts[a]!];
      return Buffer.concat([head, ...parts]);
    }
    case "duplicate": {
      const r = t.record % parts.length;
      parts.splice(r, 0, parts[r]!);
      return Buffer.concat([head, ...parts]);
    }
    case "splice": {
      const foreign = split(other, chunkSize);
      const r = t.record % Math.min(parts.length, foreign.length);
      parts[r] = foreign[r]!;
      return Buffer.concat([head, ...parts]);
    }
  }
}
