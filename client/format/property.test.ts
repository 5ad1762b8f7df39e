import assert from "node:assert/strict";
import fc from "fast-check";
import { decryptBytes, encryptBytes } from "./bytes.js";
import { FormatError } from "./errors.js";
import { generateDek } from "./layout.js";
import { apply, tamper } from "../../test/support/tamper.js";

const dek = generateDek();

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
