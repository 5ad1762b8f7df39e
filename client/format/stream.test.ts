import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { decryptBytes, encryptBytes } from "./bytes.js";
import { FormatError, type FormatErrorCode } from "./errors.js";
import { HEADER_SIZE, TAG_SIZE, generateDek } from "./layout.js";
import { decryptStream, encryptStream } from "./stream.js";

const dek = generateDek();

async function rejects(
  promise: Promise<unknown>,
  code: FormatErrorCode,
  message?: RegExp,
): Promise<FormatError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FormatError, `expected a FormatError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected ${code}, but it decrypted`);
}

/** Byte ranges of chunk record i in a file encrypted with `chunkSize`. */
function recordAt(file: Buffer, chunkSize: number, i: number): [number, number] {
  const start = HEADER_SIZE + i * (chunkSize + TAG_SIZE);
  return [start, Math.min(file.length, start + chunkSize + TAG_SIZE)];
}
function records(file: Buffer, chunkSize: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = HEADER_SIZE; at < file.length; at += chunkSize + TAG_SIZE) {
    out.push(file.subarray(at, Math.min(file.length, at + chunkSize + TAG_SIZE)));
  }
  return out;
}
function rebuild(file: Buffer, parts: Buffer[]): Buffer {
  return Buffer.concat([file.subarray(0, HEADER_SIZE), ...parts]);
}
function flip(file: Buffer, at: number): Buffer {
  const copy = Buffer.from(file);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

describe("format streams: round trips", () => {
  for (const chunkSize of [1, 16, 1000, 65536]) {
    const sizes = [0, 1, 2, chunkSize - 1, chunkSize, chunkSize + 1, 2 * chunkSize - 1];
    sizes.push(2 * chunkSize, 2 * chunkSize + 1, 3 * chunkSize, 5 * chunkSize + 7);
    for (const size of [...new Set(sizes)].filter((s) => s >= 0)) {
      it(`${size} bytes in ${chunkSize}-byte chunks`, async () => {
        const plaintext = randomBytes(size);
        const file = await encryptBytes(dek, plaintext, { chunkSize, binding: "ds-1" });
        const chunks = Math.max(1, Math.ceil(size / chunkSize));
        assert.equal(file.length, HEADER_SIZE + size + chunks * TAG_SIZE);
        assert.deepEqual(await decryptBytes(dek, file, { binding: "ds-1" }), plaintext);
      });
    }
  }

  it("does not depend on how the input is split into writes", async () => {
    const plaintext = randomBytes(10_000);
    const pieces = (bytes: Buffer) => {
      const out: Buffer[] = [];
      for (let at = 0, n = 1; at < bytes.length; at += n, n = (n * 7 + 3) % 977) {
        out.push(bytes.subarray(at, at + n));
      }
      return out;
    };
    const collect = async (source: Buffer[], transform: NodeJS.ReadWriteStream) => {
      const out: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _e, done) {
          out.push(chunk);
          done();
        },
      });
      await pipeline(Readable.from(source), transform, sink);
      return Buffer.concat(out);
    };
    const file = await collect(pieces(plaintext), encryptStream(dek, { chunkSize: 300 }));
    assert.deepEqual(await collect(pieces(file), decryptStream(dek)), plaintext);
  });

  it("reports progress in input bytes", async () => {
    const seen: number[] = [];
    await encryptBytes(dek, randomBytes(5000), { onProgress: (done) => seen.push(done) });
    assert.equal(seen.at(-1), 5000);
  });

  it("asks its source for the next piece before working on the current one", async () => {
    // Like a file read stream: each read completes later, on the thread pool's schedule. The
    // source's next read must be requested before the current piece's AES (seen as its
    // progress report), so that reading overlaps the work instead of following it.
    const replay = async (
      pieces: Buffer[],
      transform: (log: string[]) => NodeJS.ReadWriteStream,
    ) => {
      const log: string[] = [];
      let next = 0;
      const source = new Readable({
        read() {
          const piece = next++;
          log.push(`read ${piece}`);
          setImmediate(() => this.push(piece < pieces.length ? pieces[piece] : null));
        },
      });
      const sink = new Writable({ write: (_chunk, _e, done) => done() });
      await pipeline(source, transform(log), sink);
      return log;
    };
    const piece = 64 * 1024;
    const plaintext = randomBytes(3 * piece);
    const pieces = (bytes: Buffer) => {
      const out: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += piece) out.push(bytes.subarray(at, at + piece));
      return out;
    };
    const sealing = await replay(pieces(plaintext), (log) =>
      encryptStream(dek, { chunkSize: piece, onProgress: (done) => log.push(`done ${done}`) }),
    );
    assert.ok(sealing.indexOf("read 1") < sealing.indexOf(`done ${piece}`), sealing.join(", "));
    const file = await encryptBytes(dek, plaintext, { chunkSize: piece });
    const opening = await replay(pieces(file), (log) =>
      decryptStream(dek, { onProgress: (done) => log.push(`done ${done}`) }),
    );
    assert.ok(opening.indexOf("read 1") < opening.indexOf(`done ${piece}`), opening.join(", "));
  });

  it("refuses bad keys and chunk sizes as programming errors", () => {
    assert.throws(() => encryptStream(Buffer.alloc(16)), RangeError);
    assert.throws(() => decryptStream(Buffer.alloc(33)), RangeError);
    assert.throws(() => encryptStream(dek, { chunkSize: 0 }), RangeError);
    assert.throws(() => encryptStream(dek, { chunkSize: 1.5 }), RangeError);
    assert.throws(() => encryptStream(dek, { chunkSize: 2 ** 32 }), RangeError);
  });
});

describe("format streams: tampering is detected", () => {
  const chunkSize = 100;
  const plaintext = randomBytes(550); // 5 full chunks and a 50-byte last chunk
  let file: Buffer;
  before(async () => {
    file = await encryptBytes(dek, plaintext, { chunkSize, binding: "ds-1" });
    assert.equal(records(file, chunkSize).length, 6);
  });
  const open = (bytes: Buffer, binding = "ds-1", key = dek) =>
    decryptBytes(key, bytes, { binding });

  it("accepts the untampered file", async () => {
    assert.deepEqual(await open(file), plaintext);
  });

  it("flipped byte in the magic: NotEncrypted", () => rejects(open(flip(file, 0)), "NotEncrypted"));
  it("flipped version byte: UnsupportedVersion", () =>
    rejects(open(flip(file, 8)), "UnsupportedVersion"));
  it("flipped algorithm or flags: UnsupportedVersion", async () => {
    await rejects(open(flip(file, 9)), "UnsupportedVersion");
    await rejects(open(flip(file, 11)), "UnsupportedVersion");
  });
  it("flipped chunk size: Corrupted header", async () => {
    await rejects(open(flip(file, 15)), "Corrupted", /header/);
    await rejects(open(flip(file, 12)), "Corrupted");
  });
  it("flipped file id or header tag: Corrupted header", async () => {
    for (const at of [16, 31, 48, 63]) await rejects(open(flip(file, at)), "Corrupted", /header/);
  });
  it("flipped key check: reported as WrongKey", () =>
    rejects(open(flip(file, 40)), "WrongKey", /different dataset key/));

  it("flipped byte in a chunk's ciphertext or tag: Corrupted, naming the chunk", async () => {
    for (const i of [0, 2, 5]) {
      const [start, end] = recordAt(file, chunkSize, i);
      for (const at of [start, start + 17, end - TAG_SIZE - 1, end - TAG_SIZE, end - 1]) {
        const error = await rejects(open(flip(file, at)), "Corrupted", /failed authentication/);
        assert.equal(error.chunk, i);
      }
    }
  });

  it("two chunks swapped: Reordered", async () => {
    const parts = records(file, chunkSize);
    const swapped = [...parts];
    [swapped[1], swapped[3]] = [parts[3]!, parts[1]!];
    const error = await rejects(open(rebuild(file, swapped)), "Reordered", /chunk 3 .* position 1/);
    assert.equal(error.chunk, 1);
  });

  it("last chunk dropped: Truncated", async () => {
    const parts = records(file, chunkSize);
    await rejects(open(rebuild(file, parts.slice(0, -1))), "Truncated", /ends after chunk 4/);
    await rejects(open(rebuild(file, parts.slice(0, 1))), "Truncated", /ends after chunk 0/);
  });

  it("all chunks dropped (header only): Truncated", () =>
    rejects(open(file.subarray(0, HEADER_SIZE)), "Truncated", /before its first chunk/));

  it("cut inside the header: Truncated", () =>
    rejects(open(file.subarray(0, 30)), "Truncated", /header/));

  it("middle chunk dropped: Reordered", async () => {
    const parts = records(file, chunkSize);
    parts.splice(2, 1);
    await rejects(open(rebuild(file, parts)), "Reordered", /removed/);
  });

  it("a chunk duplicated: Reordered", async () => {
    const parts = records(file, chunkSize);
    parts.splice(2, 0, parts[2]!);
    await rejects(open(rebuild(file, parts)), "Reordered");
  });

  it("cut inside a chunk: detected", async () => {
    await rejects(open(file.subarray(0, recordAt(file, chunkSize, 2)[0] + 50)), "Corrupted");
    await rejects(open(file.subarray(0, file.length - 1)), "Corrupted", /cut short/);
    const [, end0] = recordAt(file, chunkSize, 0);
    await rejects(open(file.subarray(0, end0 + 5)), "Truncated", /inside chunk 1/);
    await rejects(open(file.subarray(0, HEADER_SIZE + 5)), "Truncated", /inside chunk 0/);
  });

  it("a chunk appended after a full last chunk: Extended", async () => {
    const full = await encryptBytes(dek, randomBytes(300), { chunkSize, binding: "ds-1" });
    const parts = records(full, chunkSize);
    const extended = rebuild(full, [...parts, parts[0]!]);
    await rejects(open(extended), "Extended", /chunk 2 is the file's final chunk/);
    await rejects(open(Buffer.concat([full, randomBytes(40)])), "Extended");
  });

  it("bytes appended after a short last chunk: detected", async () => {
    await rejects(open(Buffer.concat([file, Buffer.from([0])])), "Corrupted", /extended/);
    // The short last chunk and the appended bytes now fill a whole record: damage, not a move.
    await rejects(open(Buffer.concat([file, randomBytes(500)])), "Corrupted", /chunk 5 failed/);
  });

  it("a chunk spliced from another file under the same DEK: Corrupted", async () => {
    const other = await encryptBytes(dek, randomBytes(550), { chunkSize, binding: "ds-1" });
    const parts = records(file, chunkSize);
    parts[2] = records(other, chunkSize)[2]!;
    await rejects(open(rebuild(file, parts)), "Corrupted", /chunk 2 failed/);
    // The other file's header with this file's chunks fails too (chunks are under the file key).
    const mixed = Buffer.concat([other.subarray(0, HEADER_SIZE), file.subarray(HEADER_SIZE)]);
    await rejects(open(mixed), "Corrupted", /chunk 0 failed/);
  });

  it("wrong DEK: WrongKey", () => rejects(open(file, "ds-1", generateDek()), "WrongKey"));

  it("wrong dataset binding: Corrupted header naming the binding", async () => {
    await rejects(open(file, "ds-2"), "Corrupted", /another dataset \(binding "ds-2"/);
    await rejects(decryptBytes(dek, file), "Corrupted", /binding empty/);
  });

  it("empty input and plaintext input: NotEncrypted", async () => {
    await rejects(open(Buffer.alloc(0)), "NotEncrypted", /empty/);
    await rejects(open(Buffer.from("a,b\n1,2\n")), "NotEncrypted");
  });

  it("an empty file still authenticates its one empty, last chunk", async () => {
    const empty = await encryptBytes(dek, Buffer.alloc(0), { chunkSize });
    assert.equal(empty.length, HEADER_SIZE + TAG_SIZE);
    assert.deepEqual(await decryptBytes(dek, empty), Buffer.alloc(0));
    await rejects(decryptBytes(dek, flip(empty, HEADER_SIZE + 3)), "Corrupted");
    await rejects(decryptBytes(dek, empty.subarray(0, HEADER_SIZE + 15)), "Truncated");
  });

  it("emits no plaintext of a chunk that fails", async () => {
    const out: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        out.push(chunk);
        done();
      },
    });
    const damaged = flip(file, recordAt(file, chunkSize, 3)[0] + 5);
    await assert.rejects(
      pipeline(Readable.from([damaged]), decryptStream(dek, { binding: "ds-1" }), sink),
      FormatError,
    );
    assert.deepEqual(Buffer.concat(out), plaintext.subarray(0, 3 * chunkSize));
  });
});

describe("format bytes helpers: failures", () => {
  it("reject once, with no unhandled rejection left behind", async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", record);
    try {
      const file = await encryptBytes(dek, Buffer.from("hello world"));
      await assert.rejects(
        decryptBytes(dek, file.subarray(0, HEADER_SIZE)),
        (e: unknown) => e instanceof FormatError && e.code === "Truncated",
      );
      // Unhandled rejections are reported after the microtask queue drains.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", record);
    }
  });
});
