// The behaviour every storage backend must share, as a mocha suite each backend's test file runs
// against a real server. Test-only (imported by *.test.ts).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";

import {
  isStorageError,
  type StorageBackend,
  type StorageErrorCode,
} from "../../client/storage/types.js";

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** Rejects with a StorageError of `code`. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: StorageErrorCode,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isStorageError(error), `expected a StorageError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

/**
 * A stream that yields `data` in 1 MiB chunks and then, instead of ending, fails after
 * `failAfter` bytes: an upload interrupted midway.
 */
export function interruptedSource(data: Buffer, failAfter: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= failAfter) {
        this.destroy(new Error("source interrupted"));
        return;
      }
      const end = Math.min(failAfter, offset + 1024 * 1024);
      this.push(data.subarray(offset, end));
      offset = end;
    },
  });
}

const MiB = 1024 * 1024;

/**
 * @param open the backend under test, opened on a fresh, created location for the suite
 * @param openSibling a backend on the same container/bucket/folder with another prefix
 */
export function storageConformance(
  open: () => StorageBackend,
  openSibling: () => StorageBackend,
): void {
  const big = randomBytes(21 * MiB + 12345);

  it("round-trips an empty object", async () => {
    const store = open();
    const result = await store.put("empty.bin", Readable.from([]));
    assert.equal(result.size, 0);
    assert.equal(await store.exists("empty.bin"), true);
    assert.equal((await readAll(await store.get("empty.bin"))).length, 0);
  });

  it("round-trips a small object from an async iterable", async () => {
    const store = open();
    const data = randomBytes(3000);
    async function* source(): AsyncIterable<Uint8Array> {
      yield data.subarray(0, 1000);
      yield new Uint8Array(data.subarray(1000));
    }
    const result = await store.put("dir/small.bin", source());
    assert.equal(result.size, 3000);
    assert.deepEqual(await readAll(await store.get("dir/small.bin")), data);
  });

  it("round-trips a 21 MiB object in several blocks/parts, reporting progress", async () => {
    const store = open();
    const progress: number[] = [];
    const result = await store.put("big.bin", Readable.from(chunks(big, MiB)), {
      size: big.length,
      onProgress: (n) => progress.push(n),
    });
    assert.equal(result.size, big.length);
    assert.ok(progress.length > 0, "no progress reported");
    assert.equal(Math.max(...progress), big.length);
    const back = await readAll(await store.get("big.bin"));
    assert.equal(back.length, big.length);
    assert.equal(sha256(back), sha256(big));
  });

  it("replaces an object when the same name is uploaded again", async () => {
    const store = open();
    await store.put("replace.txt", Readable.from([Buffer.from("first version")]));
    await store.put("replace.txt", Readable.from([Buffer.from("second")]));
    assert.equal((await readAll(await store.get("replace.txt"))).toString(), "second");
  });

  it("lists names and sizes under the location's prefix, filtered and sorted", async () => {
    const store = open();
    await store.put("list/b.bin", Readable.from([Buffer.alloc(7)]));
    await store.put("list/a.bin", Readable.from([Buffer.alloc(5)]));
    await store.put("list/sub/c.bin", Readable.from([Buffer.alloc(1)]));
    await store.put("listing.bin", Readable.from([Buffer.alloc(2)]));
    assert.deepEqual(await store.list("list/"), [
      { name: "list/a.bin", size: 5 },
      { name: "list/b.bin", size: 7 },
      { name: "list/sub/c.bin", size: 1 },
    ]);
    assert.deepEqual(
      (await store.list("list")).map((o) => o.name),
      ["list/a.bin", "list/b.bin", "list/sub/c.bin", "listing.bin"],
    );
    const all = await store.list();
    assert.ok(all.some((o) => o.name === "listing.bin"));
    // A sibling location (another prefix in the same container) neither sees nor is seen.
    const sibling = openSibling();
    await sibling.put("list/a.bin", Readable.from([Buffer.alloc(9)]));
    assert.deepEqual(await sibling.list(), [{ name: "list/a.bin", size: 9 }]);
    assert.deepEqual(await store.list("list/a"), [{ name: "list/a.bin", size: 5 }]);
  });

  it("deletes objects; deleting a missing object is not an error", async () => {
    const store = open();
    await store.put("delete-me.txt", Readable.from([Buffer.from("x")]));
    await store.delete("delete-me.txt");
    assert.equal(await store.exists("delete-me.txt"), false);
    await store.delete("delete-me.txt");
  });

  it("reports a missing object as NotFound", async () => {
    const store = open();
    assert.equal(await store.exists("no/such/object"), false);
    await rejectsWith(store.get("no/such/object"), "NotFound");
  });

  it("rejects names that could escape the location as InvalidLocation", async () => {
    const store = open();
    for (const name of ["", "../x", "a/../../x", "/abs", "a//b", "a\\b", "./a"]) {
      await rejectsWith(store.put(name, Readable.from([Buffer.from("x")])), "InvalidLocation");
      await rejectsWith(store.get(name), "InvalidLocation");
    }
  });

  it("leaves no object after an interrupted upload, and a re-run succeeds", async () => {
    const store = open();
    await assert.rejects(
      store.put("interrupted.bin", interruptedSource(big, 10 * MiB + 17), { size: big.length }),
    );
    assert.equal(await store.exists("interrupted.bin"), false);
    assert.ok(!(await store.list()).some((o) => o.name.includes("interrupted")));
    await store.put("interrupted.bin", Readable.from(chunks(big, MiB)), { size: big.length });
    assert.equal(sha256(await readAll(await store.get("interrupted.bin"))), sha256(big));
  });

  it("keeps the previous object intact when a replacing upload is interrupted", async () => {
    const store = open();
    const old = randomBytes(100_000);
    await store.put("kept.bin", Readable.from([old]));
    await assert.rejects(store.put("kept.bin", interruptedSource(big, 9 * MiB + 3)));
    assert.deepEqual(await readAll(await store.get("kept.bin")), old);
    assert.deepEqual(
      (await store.list("kept")).map((o) => [o.name, o.size]),
      [["kept.bin", old.length]],
    );
  });

  it("leaves nothing visible when an upload is cancelled with its signal", async () => {
    const store = open();
    const controller = new AbortController();
    // Finite, so that a backend ignoring the signal fails the test instead of running forever.
    let pushed = 0;
    const source = new Readable({
      read() {
        if (pushed === 40) return this.push(null);
        this.push(big.subarray(0, MiB));
        if (++pushed === 3) controller.abort();
      },
    });
    await assert.rejects(store.put("cancelled.bin", source, { signal: controller.signal }));
    assert.equal(await store.exists("cancelled.bin"), false);
    assert.ok(pushed < 40, "the upload kept reading after it was cancelled");
  });
}

function* chunks(data: Buffer, size: number): Iterable<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) {
    yield data.subarray(offset, offset + size);
  }
}
