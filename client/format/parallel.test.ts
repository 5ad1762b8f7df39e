import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, truncateSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { apply, tamper } from "../../test/support/tamper.js";
import { decryptBytes, encryptBytes } from "./bytes.js";
import { FormatError } from "./errors.js";
import { decryptFile, encryptFile } from "./files.js";
import { HEADER_SIZE, TAG_SIZE, encryptedSize, generateDek } from "./layout.js";

/** The file workers (threads: 2) against the streams, which are the reference. */
describe("format files on worker threads", () => {
  const dek = generateDek();
  const threads = 2;
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "fmt-workers-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Decrypts `encrypted` with the workers; the error, or the plaintext. */
  async function openWithWorkers(encrypted: Buffer, binding: string, key = dek) {
    const input = join(dir, "in.enc");
    const output = join(dir, "out");
    await writeFile(input, encrypted);
    try {
      await decryptFile(key, input, output, { binding, threads, durable: false });
      return await readFile(output);
    } catch (error) {
      return error;
    } finally {
      await rm(output, { force: true });
    }
  }

  async function openWithStream(encrypted: Buffer, binding: string, key = dek) {
    try {
      return await decryptBytes(key, encrypted, { binding });
    } catch (error) {
      return error;
    }
  }

  it("round-trips every size around the chunk boundaries, interchangeably with the streams", async () => {
    const chunkSize = 4096;
    for (const size of [0, 1, 4095, 4096, 4097, 3 * 4096, 7 * 4096 + 5, 40 * 4096 + 1]) {
      const data = randomBytes(size);
      await writeFile(join(dir, "plain"), data);
      await encryptFile(dek, join(dir, "plain"), join(dir, "enc"), {
        chunkSize,
        binding: "ds",
        threads,
      });
      const encrypted = await readFile(join(dir, "enc"));
      assert.equal(encrypted.length, encryptedSize(size, chunkSize), `size ${size}`);
      assert.deepEqual(await decryptBytes(dek, encrypted, { binding: "ds" }), data);
      const streamed = await encryptBytes(dek, data, { chunkSize, binding: "ds" });
      assert.deepEqual(await openWithWorkers(streamed, "ds"), data, `size ${size}`);
    }
  });

  it("reports progress up to the total in both directions", async () => {
    const data = randomBytes(100_000);
    await writeFile(join(dir, "plain"), data);
    const seen: [number, number][] = [];
    const onProgress = (done: number, total: number) => seen.push([done, total]);
    await encryptFile(dek, join(dir, "plain"), join(dir, "enc"), {
      chunkSize: 1000,
      threads,
      onProgress,
    });
    assert.deepEqual(seen.at(-1), [100_000, 100_000]);
    assert.ok(seen.every(([done], i) => i === 0 || done > seen[i - 1]![0]));
    const size = encryptedSize(100_000, 1000);
    await decryptFile(dek, join(dir, "enc"), join(dir, "back"), { threads, onProgress });
    assert.deepEqual(seen.at(-1), [size, size]);
    assert.deepEqual(await readFile(join(dir, "back")), data);
  });

  it("names the first damaged chunk as the streams do, and leaves no output", async () => {
    const chunkSize = 512;
    const data = randomBytes(40 * chunkSize); // chunk 39 is the last, and full
    const encrypted = await encryptBytes(dek, data, { chunkSize, binding: "ds" });
    const record = (i: number) => HEADER_SIZE + i * (chunkSize + TAG_SIZE);
    const flipped = (...at: number[]) => {
      const copy = Buffer.from(encrypted);
      for (const i of at) copy[i] = copy[i]! ^ 1;
      return copy;
    };
    const cases: [string, Buffer, string, number | undefined][] = [
      ["two damaged chunks: the first", flipped(record(30) + 3, record(7) + 9), "Corrupted", 7],
      ["damaged tag of the last chunk", flipped(encrypted.length - 1), "Corrupted", 39],
      [
        "chunks 3 and 4 swapped",
        Buffer.concat([
          encrypted.subarray(0, record(3)),
          encrypted.subarray(record(4), record(5)),
          encrypted.subarray(record(3), record(4)),
          encrypted.subarray(record(5)),
        ]),
        "Reordered",
        3,
      ],
      ["cut after chunk 19", encrypted.subarray(0, record(20)), "Truncated", 19],
      [
        "a chunk appended",
        Buffer.concat([encrypted, encrypted.subarray(record(2), record(3))]),
        "Extended",
        39,
      ],
      ["cut inside a record", encrypted.subarray(0, record(39) + 5), "Truncated", 39],
      ["header only", encrypted.subarray(0, HEADER_SIZE), "Truncated", 0],
      ["damaged header", flipped(20), "Corrupted", undefined],
      ["plaintext", data, "NotEncrypted", undefined],
    ];
    for (const [name, bytes, code, chunk] of cases) {
      const error = await openWithWorkers(bytes, "ds");
      assert.ok(error instanceof FormatError, name);
      assert.equal(error.code, code, name);
      assert.equal(error.chunk, chunk, name);
      assert.equal(error.path, join(dir, "in.enc"), name);
      const reference = (await openWithStream(bytes, "ds")) as FormatError;
      assert.equal(reference.code, code, `${name} (streams)`);
      assert.equal(reference.chunk, chunk, `${name} (streams)`);
      assert.deepEqual(await readdir(dir), ["in.enc"], name);
    }
    assert.equal(
      ((await openWithWorkers(encrypted, "ds", generateDek())) as FormatError).code,
      "WrongKey",
    );
  });

  it("any tampering gets the streams' error code and chunk (fast-check)", async () => {
    const input = fc.record({
      data: fc.uint8Array({ maxLength: 3000 }),
      chunkSize: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 65, max: 1024 })),
    });
    await fc.assert(
      fc.asyncProperty(input, tamper, async ({ data, chunkSize }, t) => {
        const file = await encryptBytes(dek, data, { chunkSize, binding: "p" });
        const other = await encryptBytes(dek, data, { chunkSize, binding: "p" });
        const tampered = apply(file, other, chunkSize, t);
        fc.pre(!tampered.equals(file));
        const got = await openWithWorkers(tampered, "p");
        const want = (await openWithStream(tampered, "p")) as FormatError;
        assert.ok(got instanceof FormatError);
        assert.deepEqual([got.code, got.chunk], [want.code, want.chunk]);
      }),
      { numRuns: 150 },
    );
  });

  it("passes an I/O error on with its code, leaves no output, and serves the next file", async () => {
    // A folder opens for reading on Linux, and reading it fails in the worker with EISDIR.
    await assert.rejects(
      encryptFile(dek, dir, join(dir, "from-a-folder.enc"), { threads }),
      (error: NodeJS.ErrnoException) => error.code === "EISDIR",
    );
    assert.ok(!(await readdir(dir)).some((name) => name.includes("from-a-folder")));
    const data = randomBytes(9000);
    await writeFile(join(dir, "next"), data);
    await encryptFile(dek, join(dir, "next"), join(dir, "next.enc"), { chunkSize: 100, threads });
    assert.deepEqual(await decryptBytes(dek, await readFile(join(dir, "next.enc"))), data);
  });

  it("a progress callback that throws fails the file, and the threads serve the next", async () => {
    const data = randomBytes(50_000);
    await writeFile(join(dir, "plain"), data);
    const failing = () => {
      throw new Error("the progress display broke");
    };
    await assert.rejects(
      encryptFile(dek, join(dir, "plain"), join(dir, "enc"), {
        chunkSize: 1000,
        threads,
        onProgress: failing,
      }),
      /the progress display broke/,
    );
    assert.deepEqual(await readdir(dir), ["plain"]);
    await encryptFile(dek, join(dir, "plain"), join(dir, "enc"), { chunkSize: 1000, threads });
    assert.deepEqual(await decryptBytes(dek, await readFile(join(dir, "enc"))), data);
  });

  it("streams what has no size to plan by: /proc and /sys files, a pipe", async () => {
    const proc = "/proc/self/status"; // reports size 0, holds more
    // sysfs files report 4096 bytes on no blocks, whatever they hold.
    const sys = [
      "/sys/kernel/mm/transparent_hugepage/enabled",
      "/sys/devices/system/cpu/online",
    ].find((path) => existsSync(path));
    assert.ok(sys, "this test needs a sysfs file");
    await encryptFile(dek, sys, join(dir, "sys.enc"), { threads });
    const setting = await decryptBytes(dek, await readFile(join(dir, "sys.enc")));
    assert.deepEqual(setting, await readFile(sys));
    await encryptFile(dek, proc, join(dir, "proc.enc"), { threads });
    const plain = await decryptBytes(dek, await readFile(join(dir, "proc.enc")));
    assert.match(plain.toString("utf8"), /^Name:/);

    const fifo = join(dir, "pipe");
    await promisify(execFile)("mkfifo", [fifo]);
    const data = randomBytes(20_000);
    await Promise.all([
      writeFile(fifo, data),
      encryptFile(dek, fifo, join(dir, "pipe.enc"), { chunkSize: 1000, threads }),
    ]);
    assert.deepEqual(await decryptBytes(dek, await readFile(join(dir, "pipe.enc"))), data);
    const encrypted = await readFile(join(dir, "pipe.enc"));
    await Promise.all([
      writeFile(fifo, encrypted),
      decryptFile(dek, fifo, join(dir, "pipe.out"), { threads }),
    ]);
    assert.deepEqual(await readFile(join(dir, "pipe.out")), data);
  });

  it("a file that changes size meanwhile fails with Changed, naming it, and leaves no output", async () => {
    const data = randomBytes(30_000);
    const input = join(dir, "growing");
    const grow = () => appendFileSync(input, "more");
    const changed = (error: unknown) => {
      assert.ok(error instanceof FormatError);
      assert.equal(error.code, "Changed");
      assert.equal(error.path, input);
      assert.match(error.message, /changed while it was being read/);
      return true;
    };
    await writeFile(input, data);
    const options = { chunkSize: 1000, threads, onProgress: grow };
    await assert.rejects(encryptFile(dek, input, join(dir, "out.enc"), options), changed);
    await writeFile(input, await encryptBytes(dek, data, { chunkSize: 1000 }));
    await assert.rejects(
      decryptFile(dek, input, join(dir, "out"), { threads, onProgress: grow }),
      changed,
    );
    // Cut while being read: the workers' reads come up short.
    await writeFile(input, randomBytes(12 * 1024 * 1024));
    const cut = () => truncateSync(input, 100);
    await assert.rejects(
      encryptFile(dek, input, join(dir, "out.enc"), { chunkSize: 1024, threads, onProgress: cut }),
      changed,
    );
    assert.deepEqual(await readdir(dir), ["growing"]);
  });

  it("runs files given at once one after the other, each whole", async () => {
    const files = [randomBytes(30_000), randomBytes(5), randomBytes(70_000)];
    await Promise.all(
      files.map(async (data, i) => {
        await writeFile(join(dir, `many-${i}`), data);
        await encryptFile(dek, join(dir, `many-${i}`), join(dir, `many-${i}.enc`), {
          chunkSize: 256,
          threads,
        });
      }),
    );
    for (const [i, data] of files.entries()) {
      assert.deepEqual(await decryptBytes(dek, await readFile(join(dir, `many-${i}.enc`))), data);
    }
  });

  it("refuses a thread count that is not a whole number from 1", async () => {
    await writeFile(join(dir, "small"), "x");
    for (const bad of [0, -1, 1.5, Number.NaN, 65]) {
      await assert.rejects(
        encryptFile(dek, join(dir, "small"), join(dir, "small.enc"), { threads: bad }),
        RangeError,
      );
    }
  });

  it("lets the process exit once the work is done (idle threads hold nothing open)", async () => {
    const files = new URL("./files.js", import.meta.url).href;
    await writeFile(
      join(dir, "encrypt.mjs"),
      `const { encryptFile } = await import(${JSON.stringify(files)});\n` +
        `await encryptFile(Buffer.alloc(32, 1), process.argv[2], process.argv[3], { threads: 2 });\n` +
        `console.log("encrypted");\n`,
    );
    await writeFile(join(dir, "exit-plain"), randomBytes(5000));
    // Hanging on a live thread would end in the timeout, which fails the test.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(dir, "encrypt.mjs"), join(dir, "exit-plain"), join(dir, "exit.enc")],
      { timeout: 20_000 },
    );
    assert.equal(stdout.trim(), "encrypted");
  });
});
