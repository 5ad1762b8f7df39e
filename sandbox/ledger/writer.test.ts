import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FILE_MAGIC, LedgerWriter, type FlushInfo } from "./writer.js";
import { tempDir } from "../../test/support/ledger-fixtures.js";

const entry = (seqno: number, size = 100) => Buffer.alloc(size, seqno % 251);

describe("ledger/writer", () => {
  let dir: string;
  let remove: () => void;
  beforeEach(() => ({ dir, remove } = tempDir()));
  afterEach(() => remove());

  it("groups a burst of appends into one fdatasync and resolves only after it", async () => {
    const events: string[] = [];
    const flushes: FlushInfo[] = [];
    const writer = await LedgerWriter.open(
      {
        dir,
        onFlush: (info) => {
          flushes.push(info);
          events.push(`flush ${info.firstSeqno}-${info.lastSeqno}`);
        },
      },
      { kind: "new", nextSeqno: 1 },
    );
    const appends = [];
    for (let seqno = 1; seqno <= 200; seqno++) {
      appends.push(writer.append(seqno, entry(seqno)).then(() => events.push(`done ${seqno}`)));
    }
    assert.equal(flushes.length, 0, "nothing is durable synchronously");
    await Promise.all(appends);
    assert.equal(flushes.length, 1);
    assert.equal(flushes[0]!.entries, 200);
    assert.equal(events[0], "flush 1-200", "every promise settles after the fdatasync");
    await writer.close();
    const content = readFileSync(join(dir, "ledger_1"));
    assert.equal(content.length, FILE_MAGIC.length + 200 * 100);
    assert.deepEqual(content.subarray(0, 8), FILE_MAGIC);
  });

  it("batches appends made during a flush into the next one", async () => {
    const flushes: FlushInfo[] = [];
    const writer = await LedgerWriter.open(
      { dir, onFlush: (info) => flushes.push(info) },
      { kind: "new", nextSeqno: 1 },
    );
    const first = writer.append(1, entry(1));
    // Let the first flush start, then append 50 more while it is under way.
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [];
    for (let seqno = 2; seqno <= 51; seqno++) rest.push(writer.append(seqno, entry(seqno)));
    await Promise.all([first, ...rest]);
    assert.equal(flushes.length, 2, "one flush for the lone append, one for the 50 behind it");
    assert.deepEqual(
      flushes.map((f) => [f.firstSeqno, f.lastSeqno]),
      [
        [1, 1],
        [2, 51],
      ],
    );
    await writer.close();
  });

  it("completes a file after a signature once it reached the chunk size", async () => {
    const writer = await LedgerWriter.open(
      { dir, chunkBytes: 1000 },
      { kind: "new", nextSeqno: 1 },
    );
    const appends = [];
    for (let seqno = 1; seqno <= 30; seqno++) {
      appends.push(writer.append(seqno, entry(seqno), seqno % 5 === 0));
    }
    await Promise.all(appends);
    await writer.close();
    // 8 + 10 × 100 bytes ≥ 1000 at the signature at seqno 10, then at 20, then 30.
    assert.deepEqual(readdirSync(dir).sort(), [
      "ledger_1-10",
      "ledger_11-20",
      "ledger_21-30",
      "ledger_31",
    ]);
    assert.equal(readFileSync(join(dir, "ledger_11-20")).length, 8 + 1000);
  });

  it("rejects out-of-order appends and appends after close", async () => {
    const writer = await LedgerWriter.open({ dir }, { kind: "new", nextSeqno: 5 });
    await assert.rejects(writer.append(6, entry(6)), RangeError);
    await writer.append(5, entry(5));
    await writer.close();
    await assert.rejects(writer.append(6, entry(6)), /closed/);
  });

  it("resumes an open file, truncating what follows the last whole entry", async () => {
    const first = await LedgerWriter.open({ dir }, { kind: "new", nextSeqno: 1 });
    await Promise.all([first.append(1, entry(1)), first.append(2, entry(2))]);
    await first.close();
    const writer = await LedgerWriter.open(
      { dir },
      // As if entry 2 were a torn write found by replay.
      {
        kind: "resume",
        file: "ledger_1",
        firstSeqno: 1,
        size: FILE_MAGIC.length + 100,
        nextSeqno: 2,
      },
    );
    await writer.append(2, entry(2, 10));
    await writer.close();
    const content = readFileSync(join(dir, "ledger_1"));
    assert.equal(content.length, FILE_MAGIC.length + 100 + 10);
  });

  it("rejects pending and later appends once a write fails", async () => {
    const writer = await LedgerWriter.open({ dir }, { kind: "new", nextSeqno: 1 });
    await writer.append(1, entry(1));
    // Break the file handle underneath the writer: the next write fails.
    await (writer as unknown as { handle: { close(): Promise<void> } }).handle.close();
    await assert.rejects(writer.append(2, entry(2)));
    assert.ok(writer.failed);
    await assert.rejects(writer.append(3, entry(3)));
    await writer.close();
  });
});
