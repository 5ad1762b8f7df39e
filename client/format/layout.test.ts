import assert from "node:assert/strict";
import { encryptBytes } from "./bytes.js";
import { FormatError } from "./errors.js";
import {
  HEADER_SIZE,
  MAGIC,
  TAG_SIZE,
  chunkAad,
  chunkNonce,
  encryptedSize,
  fileKey,
  generateDek,
  headerNonce,
  keyCheck,
  parseHeader,
  plaintextSize,
} from "./layout.js";

describe("format layout", () => {
  const dek = generateDek();

  it("writes the documented header", async () => {
    const file = await encryptBytes(dek, Buffer.from("hello"), { chunkSize: 4096 });
    assert.deepEqual(file.subarray(0, 8), MAGIC);
    assert.equal(file[8], 1); // version
    assert.equal(file[9], 1); // algorithm
    assert.equal(file.readUInt16BE(10), 0); // flags
    assert.equal(file.readUInt32BE(12), 4096);
    assert.deepEqual(file.subarray(32, 48), keyCheck(dek));
    const header = parseHeader(file);
    assert.equal(header.chunkSize, 4096);
    assert.deepEqual(header.fileId, file.subarray(16, 32));
    assert.equal(file.length, HEADER_SIZE + 5 + TAG_SIZE);
  });

  it("gives each file a fresh random file id and so a fresh key", async () => {
    const a = parseHeader(await encryptBytes(dek, Buffer.alloc(0)));
    const b = parseHeader(await encryptBytes(dek, Buffer.alloc(0)));
    assert.notDeepEqual(a.fileId, b.fileId);
    assert.notDeepEqual(fileKey(dek, a.fileId), fileKey(dek, b.fileId));
  });

  it("keeps the header nonce out of the chunk nonce space and puts the flag in the AAD", () => {
    assert.deepEqual(chunkNonce(0), Buffer.alloc(12));
    assert.equal(chunkNonce(2 ** 40 + 5).readBigUInt64BE(4), 2n ** 40n + 5n);
    assert.deepEqual(chunkNonce(Number.MAX_SAFE_INTEGER).subarray(0, 4), Buffer.alloc(4));
    assert.deepEqual(headerNonce(), Buffer.alloc(12, 0xff));
    const id = Buffer.alloc(16, 7);
    assert.equal(chunkAad(id, 3, true).length, 25);
    assert.notDeepEqual(chunkAad(id, 3, true), chunkAad(id, 3, false));
    assert.notDeepEqual(chunkAad(id, 3, true), chunkAad(id, 4, true));
  });

  it("rejects what is not an encrypted file, and unknown versions", () => {
    const code = (bytes: Buffer) => {
      try {
        parseHeader(bytes);
      } catch (error) {
        assert.ok(error instanceof FormatError);
        return error.code;
      }
      return "parsed";
    };
    assert.equal(code(Buffer.from("id,name\n1,alice\n")), "NotEncrypted");
    assert.equal(code(Buffer.alloc(3)), "NotEncrypted");
    assert.equal(code(MAGIC), "Truncated");
    const header = Buffer.alloc(HEADER_SIZE);
    MAGIC.copy(header);
    header[8] = 2;
    header[9] = 1;
    header.writeUInt32BE(16, 12);
    assert.equal(code(header), "UnsupportedVersion");
    header[8] = 1;
    assert.equal(code(header), "parsed");
    header.writeUInt32BE(0, 12);
    assert.equal(code(header), "Corrupted");
  });

  it("computes sizes both ways", async () => {
    for (const chunkSize of [1, 7, 64]) {
      for (const size of [0, 1, 6, 7, 8, 63, 64, 65, 128, 200]) {
        const file = await encryptBytes(dek, Buffer.alloc(size, 1), { chunkSize });
        assert.equal(encryptedSize(size, chunkSize), file.length, `${size}/${chunkSize}`);
        assert.equal(plaintextSize(file.length, chunkSize), size);
      }
    }
    assert.equal(plaintextSize(HEADER_SIZE + 15, 64), null);
    assert.equal(plaintextSize(HEADER_SIZE + 80 + 16, 64), null);
  });
});
