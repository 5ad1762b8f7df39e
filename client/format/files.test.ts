import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FormatError } from "./errors.js";
import { decryptFile, decryptFolder, encryptFile, encryptFolder, listFiles } from "./files.js";
import { HEADER_SIZE, TAG_SIZE, generateDek } from "./layout.js";

describe("format files and folders", () => {
  const dek = generateDek();
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "fmt-files-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("round-trips a file and reports progress up to the total", async () => {
    const data = randomBytes(300_000);
    await writeFile(join(dir, "plain.csv"), data);
    const progress: [number, number][] = [];
    await encryptFile(dek, join(dir, "plain.csv"), join(dir, "out/enc.bin"), {
      chunkSize: 65536,
      binding: "ds",
      onProgress: (done, total) => progress.push([done, total]),
    });
    assert.deepEqual(progress.at(-1), [300_000, 300_000]);
    const encrypted = await readFile(join(dir, "out/enc.bin"));
    assert.equal(encrypted.length, HEADER_SIZE + 300_000 + 5 * TAG_SIZE);
    const seen: number[] = [];
    await decryptFile(dek, join(dir, "out/enc.bin"), join(dir, "back.csv"), {
      binding: "ds",
      onProgress: (done, total) => {
        assert.equal(total, encrypted.length);
        seen.push(done);
      },
    });
    assert.equal(seen.at(-1), encrypted.length);
    assert.deepEqual(await readFile(join(dir, "back.csv")), data);
    assert.equal((await stat(join(dir, "back.csv"))).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(dir)).sort(), ["back.csv", "out", "plain.csv"]);
  });

  it("round-trips an empty file", async () => {
    await writeFile(join(dir, "empty"), "");
    await encryptFile(dek, join(dir, "empty"), join(dir, "empty.enc"));
    await decryptFile(dek, join(dir, "empty.enc"), join(dir, "empty.out"));
    assert.equal((await stat(join(dir, "empty.out"))).size, 0);
  });

  it("leaves no output, partial or temporary, when decryption fails", async () => {
    const data = randomBytes(200_000);
    await writeFile(join(dir, "plain"), data);
    await encryptFile(dek, join(dir, "plain"), join(dir, "enc"), { chunkSize: 4096 });
    const encrypted = await readFile(join(dir, "enc"));
    const cases: [string, Buffer, Uint8Array, string][] = [
      [
        "truncated",
        encrypted.subarray(0, encrypted.length - (200_000 % 4096) - TAG_SIZE),
        dek,
        "Truncated",
      ],
      [
        "last byte flipped",
        Buffer.concat([encrypted.subarray(0, -1), Buffer.from([0])]),
        dek,
        "Corrupted",
      ],
      ["wrong key", encrypted, generateDek(), "WrongKey"],
    ];
    for (const [name, bytes, key, code] of cases) {
      await writeFile(join(dir, "bad"), bytes);
      await assert.rejects(decryptFile(key, join(dir, "bad"), join(dir, "out.csv")), (error) => {
        assert.ok(error instanceof FormatError, name);
        assert.equal(error.code, code, name);
        assert.equal(error.path, join(dir, "bad"));
        assert.ok(error.message.startsWith(join(dir, "bad")));
        return true;
      });
      assert.deepEqual((await readdir(dir)).sort(), ["bad", "enc", "plain"], name);
    }
  });

  it("keeps an existing output file intact when decryption fails", async () => {
    await writeFile(join(dir, "out.csv"), "previous");
    await writeFile(join(dir, "bad"), "not encrypted at all");
    await assert.rejects(decryptFile(dek, join(dir, "bad"), join(dir, "out.csv")), FormatError);
    assert.equal(await readFile(join(dir, "out.csv"), "utf8"), "previous");
  });

  it("encrypts and decrypts folders keeping relative paths, one file id per file", async () => {
    const files: Record<string, Buffer> = {
      "a.csv": randomBytes(5000),
      "empty.txt": Buffer.alloc(0),
      "part/2026/b.parquet": randomBytes(70_000),
      "part/c.json": Buffer.from('{"same":"content"}'),
      "part/d.json": Buffer.from('{"same":"content"}'),
    };
    for (const [path, data] of Object.entries(files)) {
      await mkdir(join(dir, "in", path, ".."), { recursive: true });
      await writeFile(join(dir, "in", path), data);
    }
    let last: [number, number] = [0, 0];
    const entries = await encryptFolder(dek, join(dir, "in"), join(dir, "enc"), {
      chunkSize: 1024,
      binding: "ds",
      onProgress: (done, total) => (last = [done, total]),
    });
    const total = Object.values(files).reduce((n, b) => n + b.length, 0);
    assert.deepEqual(last, [total, total]);
    assert.deepEqual(
      entries.map((e) => e.path.replaceAll("\\", "/")),
      Object.keys(files).sort(),
    );
    const listed = await listFiles(join(dir, "enc"));
    assert.deepEqual(
      listed.map((e) => e.path.replaceAll("\\", "/")),
      Object.keys(files).sort(),
    );
    const c = await readFile(join(dir, "enc/part/c.json"));
    const d = await readFile(join(dir, "enc/part/d.json"));
    assert.notDeepEqual(c.subarray(16, 32), d.subarray(16, 32)); // distinct file ids
    assert.notDeepEqual(c.subarray(HEADER_SIZE), d.subarray(HEADER_SIZE));

    await decryptFolder(dek, join(dir, "enc"), join(dir, "out"), { binding: "ds" });
    for (const [path, data] of Object.entries(files)) {
      assert.deepEqual(await readFile(join(dir, "out", path)), data, path);
    }
  });

  it("stops a folder decryption at the damaged file and leaves no partial file", async () => {
    await mkdir(join(dir, "in"));
    await writeFile(join(dir, "in/1.csv"), randomBytes(3000));
    await writeFile(join(dir, "in/2.csv"), randomBytes(3000));
    await encryptFolder(dek, join(dir, "in"), join(dir, "enc"), { chunkSize: 512 });
    const damaged = await readFile(join(dir, "enc/2.csv"));
    damaged.writeUInt8(damaged.readUInt8(HEADER_SIZE + 600) ^ 0x80, HEADER_SIZE + 600);
    await writeFile(join(dir, "enc/2.csv"), damaged);
    await assert.rejects(decryptFolder(dek, join(dir, "enc"), join(dir, "out")), (error) => {
      assert.ok(error instanceof FormatError);
      assert.equal(error.code, "Corrupted");
      assert.equal(error.chunk, 1);
      assert.match(error.message, /2\.csv: chunk 1 failed/);
      return true;
    });
    assert.deepEqual(await readdir(join(dir, "out")), ["1.csv"]);
  });

  it("refuses an output that is the input file itself, leaving it as it was", async () => {
    await writeFile(join(dir, "data"), "plaintext");
    await assert.rejects(
      encryptFile(dek, join(dir, "data"), join(dir, "data")),
      /input file itself/,
    );
    await assert.rejects(
      decryptFile(dek, join(dir, "data"), join(dir, "./data")),
      /input file itself/,
    );
    assert.equal(await readFile(join(dir, "data"), "utf8"), "plaintext");
  });

  it("lists no temporary file of an unfinished write, so none becomes a dataset object", async () => {
    await mkdir(join(dir, "in"));
    await writeFile(join(dir, "in/a.csv"), "a");
    await writeFile(join(dir, "in/.cleanroom-0123456789ab.partial"), "half");
    await writeFile(join(dir, "in/.hidden"), "kept");
    const names = (await listFiles(join(dir, "in"))).map((entry) => entry.path);
    assert.deepEqual(names, [".hidden", "a.csv"]);
  });

  it("refuses an output folder inside the input folder", async () => {
    await mkdir(join(dir, "in"));
    await assert.rejects(encryptFolder(dek, join(dir, "in"), join(dir, "in/enc")), RangeError);
  });
});
