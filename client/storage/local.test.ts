import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";

import {
  storageConformance,
  rejectsWith,
  interruptedSource,
} from "../../test/support/storage-conformance.js";
import { LOCAL_TEMP_DIR, openStorage, type StorageBackend } from "./index.js";

describe("client/storage local folder", () => {
  let dir: string;
  let store: StorageBackend;
  let sibling: StorageBackend;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cleanroom-storage-"));
    store = openStorage({ kind: "local", path: join(dir, "data") });
    sibling = openStorage({ kind: "local", path: join(dir, "other") });
    await store.create();
    await sibling.create();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  storageConformance(
    () => store,
    () => sibling,
  );

  it("reads objects in pieces of the encrypted format's chunk size", async () => {
    await store.put("big.bin", Readable.from([Buffer.alloc(3 << 20, 1)]));
    const sizes: number[] = [];
    for await (const piece of await store.get("big.bin")) sizes.push((piece as Buffer).length);
    assert.deepEqual(sizes, [1 << 20, 1 << 20, 1 << 20]);
  });

  it("removes the temporary file of an interrupted upload", async () => {
    await assert.rejects(store.put("t.bin", interruptedSource(Buffer.alloc(4 << 20), 2 << 20)));
    assert.deepEqual(readdirSync(join(dir, "data", LOCAL_TEMP_DIR)), []);
  });

  it("reports a missing folder as NotFound and a file in its place as InvalidLocation", async () => {
    const missing = openStorage({ kind: "local", path: join(dir, "missing") });
    await rejectsWith(missing.list(), "NotFound");
    await rejectsWith(missing.put("x", Readable.from([Buffer.from("x")])), "NotFound");
    writeFileSync(join(dir, "file"), "x");
    const notDir = openStorage({ kind: "local", path: join(dir, "file") });
    await rejectsWith(notDir.list(), "InvalidLocation");
  });

  it("refuses names inside its temporary folder", async () => {
    await rejectsWith(store.get(`${LOCAL_TEMP_DIR}/x`), "InvalidLocation");
  });

  it("rejects an unknown location kind", () => {
    assert.throws(
      () => openStorage({ kind: "ftp" } as unknown as Parameters<typeof openStorage>[0]),
      (e: unknown) => (e as { code?: string }).code === "InvalidLocation",
    );
  });
});
