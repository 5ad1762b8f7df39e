import assert from "node:assert/strict";
import fc from "fast-check";
import { decryptBytes, encryptBytes } from "./bytes.js";
import { FormatError } from "./errors.js";
import { HEADER_SIZE, TAG_SIZE, generateDek } from "./layout.js";

const dek = generateDek();

/** One tampering of an encrypted file image; each is applied to a copy. */
type Tamper =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "truncate"; at: number }
  | { kind: "append"; bytes: Uint8Array }
  | { kind: "delete"; at: number; length: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "swap"; a: number; b: number }
  | { kind: "duplicate"; record: number }
  | { kind: "splice"; record: number };

const tamper: fc.Arbitrary<Tamper> = fc.oneof(
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

function apply(file: Buffer, other: Buffer, chunkSize: number, t: Tamper): Buffer {
  const head = file.subarray(0, HEADER_SIZE);
  const parts = split(file, chunkSize);
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

describe("format properties (fast-check)", () => {
  const input = fc.record({
    data: fc.uint8Array({ maxLength: 3000 }),
    chunkSize: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 65, max: 4096 })),
    binding: fc.string({ maxLength: 12 }),
  });

  it("decrypting what was encrypted gives it back, byte for byte", async () => {
    await fc.assert(
      fc.asyncProperty(input, async ({ data, chunkSize, binding }) => {
        const file = await encryptBytes(dek, data, { chunkSize, binding });
        assert.deepEqual(await decryptBytes(dek, file, { binding }), Buffer.from(data));
      }),
      { numRuns: 300 },
    );
  });

  it("any single tampering makes decryption fail with a FormatError", async () => {
    await fc.assert(
      fc.asyncProperty(input, tamper, async ({ data, chunkSize, binding }, t) => {
        const file = await encryptBytes(dek, data, { chunkSize, binding });
        const other = await encryptBytes(dek, data, { chunkSize, binding });
        const tampered = apply(file, other, chunkSize, t);
        fc.pre(!tampered.equals(file));
        await assert.rejects(decryptBytes(dek, tampered, { binding }), FormatError);
      }),
      { numRuns: 500 },
    );
  });

  it("another key or binding makes decryption fail", async () => {
    await fc.assert(
      fc.asyncProperty(input, fc.string({ maxLength: 12 }), async (x, otherBinding) => {
        fc.pre(otherBinding !== x.binding);
        const file = await encryptBytes(dek, x.data, {
          chunkSize: x.chunkSize,
          binding: x.binding,
        });
        await assert.rejects(decryptBytes(generateDek(), file, { binding: x.binding }), {
          code: "WrongKey",
        });
        await assert.rejects(decryptBytes(dek, file, { binding: otherBinding }), {
          code: "Corrupted",
        });
      }),
      { numRuns: 100 },
    );
  });
});
