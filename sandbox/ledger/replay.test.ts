import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { readHeader, type EntryHeader, type LedgerTransaction } from "./entry.js";
import { Ledger } from "./ledger.js";
import { LedgerCorruptError, replayLedger } from "./replay.js";
import { LedgerSecret } from "./secret.js";
import {
  makeIdentities,
  randomSecretBytes,
  sampleTransaction,
  tempDir,
  type TestIdentities,
} from "../../test/support/ledger-fixtures.js";
import { FILE_MAGIC } from "./writer.js";

const VIEW = 2;

interface Located {
  file: string;
  offset: number;
  size: number;
  seqno: number;
}

/** Every entry on disk, found by walking the files with the entry headers. */
function locate(dir: string): Located[] {
  const files = readdirSync(dir)
    .filter((name) => name.startsWith("ledger_"))
    .sort((a, b) => Number(a.split(/[_-]/)[1]) - Number(b.split(/[_-]/)[1]));
  const out: Located[] = [];
  for (const file of files) {
    const buf = readFileSync(join(dir, file));
    for (let offset = FILE_MAGIC.length; offset < buf.length;) {
      const header = readHeader(buf, offset) as EntryHeader;
      out.push({ file, offset, size: header.size, seqno: header.seqno });
      offset += header.size;
    }
  }
  return out;
}

function edit(dir: string, file: string, change: (bytes: Buffer) => Buffer | void): void {
  const path = join(dir, file);
  const bytes = readFileSync(path);
  writeFileSync(path, change(bytes) ?? bytes);
}

function flip(bytes: Buffer, index: number, mask = 1): void {
  bytes[index] = bytes[index]! ^ mask;
}

function redigest(bytes: Buffer, at: Located): void {
  const end = at.offset + at.size - 32;
  createHash("sha256").update(bytes.subarray(at.offset, end)).digest().copy(bytes, end);
}

describe("ledger/replay", () => {
  let ids: TestIdentities;
  let secretBytes: Buffer;
  let secret: LedgerSecret;
  let dir: string;
  let remove: () => void;

  before(async () => {
    ids = await makeIdentities();
  });
  beforeEach(() => {
    ({ dir, remove } = tempDir());
    secretBytes = randomSecretBytes();
    secret = new LedgerSecret(secretBytes);
  });
  afterEach(() => remove());

  /** Commits `count` transactions, every `sigEvery`-th a signature transaction. */
  async function writeLedger(
    count: number,
    { sigEvery = 25, chunkBytes = 8 * 1024, signer = ids.node } = {},
  ): Promise<LedgerTransaction[]> {
    const { ledger } = await Ledger.open({ dir, secret, chunkBytes });
    const all: LedgerTransaction[] = [];
    const durable: Promise<void>[] = [];
    for (let seqno = 1; seqno <= count; seqno++) {
      const tx =
        seqno % sigEvery === 0
          ? ledger.signatureTransaction(signer, VIEW)
          : sampleTransaction(VIEW, seqno);
      all.push(tx);
      durable.push(ledger.append(tx));
    }
    await Promise.all(durable);
    await ledger.close();
    return all;
  }

  const replay = () =>
    replayLedger({ dir, secret, serviceCertPem: ids.serviceCertPem, verifySignatures: "last" });

  function assertCorrupt(txId: string, reason: RegExp, at?: Located): void {
    assert.throws(replay, (error: unknown) => {
      assert.ok(error instanceof LedgerCorruptError, String(error));
      assert.equal(error.txId, txId, error.message);
      assert.match(error.reason, reason);
      if (at) {
        assert.equal(error.file, at.file);
        assert.equal(error.offset, at.offset);
      }
      assert.match(error.message, new RegExp(`transaction ${txId.replace(".", "\\.")} \\(`));
      return true;
    });
  }

  it("gives back exactly the transactions written, across several files", async () => {
    const written = await writeLedger(400);
    const result = replay();
    assert.ok(result.files.length > 3, `${result.files.length} files`);
    assert.deepEqual(result.transactions, written);
    assert.equal(result.torn, undefined);
    assert.equal(result.unsignedTail, 0);
    assert.equal(result.history.signatures.length, 16);
    assert.deepEqual(result.history.lastTxId, { view: VIEW, seqno: 400 });
    // A complete file ends on a signature transaction, as in CCF.
    for (const file of result.files.filter((f) => f.lastSeqno !== undefined)) {
      assert.equal(file.lastSeqno! % 25, 0, file.name);
    }
  });

  it("continues after a restart and replays everything again", async () => {
    const first = await writeLedger(60, { sigEvery: 20 });
    const { ledger, replay: again } = await Ledger.open({ dir, secret, chunkBytes: 8 * 1024 });
    assert.deepEqual(again.transactions, first);
    const more = [sampleTransaction(VIEW, 61), sampleTransaction(VIEW, 62)];
    await Promise.all(more.map((tx) => ledger.append(tx)));
    await ledger.close();
    const result = replay();
    assert.deepEqual(result.transactions, [...first, ...more]);
    assert.equal(result.unsignedTail, 2);
  });

  it("names a transaction whose public value was modified", async () => {
    await writeLedger(200);
    const at = locate(dir).find((e) => e.seqno === 137)!;
    edit(dir, at.file, (bytes) => flip(bytes, bytes.indexOf("PUBLIC-VALUE-137")));
    assertCorrupt("2.137", /digest mismatch/, at);
  });

  it("names a transaction whose private value was modified", async () => {
    await writeLedger(200);
    const at = locate(dir).find((e) => e.seqno === 151)!;
    edit(dir, at.file, (bytes) => flip(bytes, at.offset + at.size - 40));
    assertCorrupt("2.151", /digest mismatch/, at);
  });

  it("names it by the GCM tag when the forger also fixed the digest", async () => {
    await writeLedger(200);
    const at = locate(dir).find((e) => e.seqno === 152)!;
    edit(dir, at.file, (bytes) => {
      flip(bytes, at.offset + at.size - 40);
      redigest(bytes, at);
    });
    assertCorrupt("2.152", /AES-GCM/, at);
  });

  it("names a signature transaction whose signature was modified", async () => {
    await writeLedger(200);
    const at = locate(dir).find((e) => e.seqno === 75)!;
    edit(dir, at.file, (bytes) => {
      const sig = bytes.indexOf('"sig":"', at.offset) + 10;
      assert.ok(sig > at.offset && sig < at.offset + at.size);
      bytes[sig] = bytes[sig] === 0x41 ? 0x42 : 0x41; // another base64 character
    });
    assertCorrupt("2.75", /digest mismatch/, at);
  });

  it("catches a forged last signature by ECDSA, and a forged earlier one by the next root", async () => {
    await writeLedger(200);
    const entries = locate(dir);
    const forge = (seqno: number) => {
      const at = entries.find((e) => e.seqno === seqno)!;
      edit(dir, at.file, (bytes) => {
        const sig = bytes.indexOf('"sig":"', at.offset) + 10;
        bytes[sig] = bytes[sig] === 0x41 ? 0x42 : 0x41;
        redigest(bytes, at);
      });
      return at;
    };
    const last = forge(200);
    assertCorrupt("2.200", /does not verify/, last);
    forge(100);
    assertCorrupt("2.125", /root does not match/);
  });

  it("names the first of two swapped entries", async () => {
    await writeLedger(100);
    const entries = locate(dir);
    const a = entries.find((e) => e.seqno === 40)!;
    const b = entries.find((e) => e.seqno === 41)!;
    assert.equal(a.file, b.file);
    edit(dir, a.file, (bytes) =>
      Buffer.concat([
        bytes.subarray(0, a.offset),
        bytes.subarray(b.offset, b.offset + b.size),
        bytes.subarray(a.offset, a.offset + a.size),
        bytes.subarray(b.offset + b.size),
      ]),
    );
    assertCorrupt("2.41", /out of order: expected seqno 40/, a);
  });

  it("names the entry bytes were cut out of, in the middle of a file", async () => {
    await writeLedger(200);
    const at = locate(dir).find((e) => e.seqno === 60)!;
    edit(dir, at.file, (bytes) =>
      Buffer.concat([bytes.subarray(0, at.offset + 100), bytes.subarray(at.offset + 110)]),
    );
    assertCorrupt("2.60", /digest mismatch|framing|overruns/, at);
  });

  it("refuses a file truncated mid-entry when later files follow", async () => {
    await writeLedger(200);
    const entries = locate(dir);
    const firstFile = entries[0]!.file;
    const lastInFirst = entries.filter((e) => e.file === firstFile).pop()!;
    truncateSync(join(dir, firstFile), lastInFirst.offset + 50);
    assertCorrupt(`2.${lastInFirst.seqno}`, /truncated/, lastInFirst);
  });

  it("refuses a missing file", async () => {
    await writeLedger(200);
    const files = readdirSync(dir).sort();
    const second = locate(dir).find((e) => e.file !== locate(dir)[0]!.file)!;
    renameSync(join(dir, second.file), join(dir, `x${second.file}`));
    assert.ok(files.length > 2);
    assertCorrupt(`2.${second.seqno}`, /file starts at seqno/);
  });

  it("drops a torn last write, keeps everything before it, and appends after it", async () => {
    const written = await writeLedger(91, { sigEvery: 30 });
    const entries = locate(dir);
    const last = entries[entries.length - 1]!;
    assert.equal(last.file, "ledger_91", "the file being written");
    truncateSync(join(dir, last.file), last.offset + Math.floor(last.size / 2));
    const result = replay();
    assert.deepEqual(result.transactions, written.slice(0, -1));
    assert.deepEqual(result.torn, {
      file: last.file,
      offset: last.offset,
      bytes: Math.floor(last.size / 2),
      seqno: 91,
    });

    const { ledger, replay: reopened } = await Ledger.open({ dir, secret });
    assert.equal(reopened.torn?.seqno, 91);
    const redo = sampleTransaction(VIEW, 91);
    await ledger.append(redo);
    await ledger.close();
    const after = replay();
    assert.equal(after.torn, undefined);
    assert.deepEqual(after.transactions, [...written.slice(0, -1), redo]);
  });

  it("recovers from a crash while starting the next file", async () => {
    const written = await writeLedger(100, { sigEvery: 25, chunkBytes: 4096 });
    const files = readdirSync(dir).sort();
    const open = files.find((name) => !name.includes("-"))!;
    assert.equal(readFileSync(join(dir, open)).length, FILE_MAGIC.length, "new file, no entry");
    // Crash after writing 3 bytes of the magic: dropped and started again.
    truncateSync(join(dir, open), 3);
    assert.deepEqual(replay().torn, { file: open, offset: 0, bytes: 3, seqno: 101 });
    // Crash after completing a file, before creating the next: a new file is started.
    rmSync(join(dir, open));
    assert.deepEqual(replay().writerStart, { kind: "new", nextSeqno: 101 });
    const { ledger } = await Ledger.open({ dir, secret });
    const next = sampleTransaction(VIEW, 101);
    await ledger.append(next);
    await ledger.close();
    assert.deepEqual(replay().transactions, [...written, next]);
  });

  it("treats a zero-filled tail as a torn write", async () => {
    const written = await writeLedger(30, { sigEvery: 10 });
    const last = locate(dir).pop()!;
    edit(dir, last.file, (bytes) => bytes.fill(0, last.offset + 40));
    const result = replay();
    assert.equal(result.torn?.seqno, 30);
    assert.deepEqual(result.transactions, written.slice(0, -1));
  });

  it("refuses a ledger read with another secret", async () => {
    await writeLedger(10);
    secret = new LedgerSecret(randomSecretBytes());
    assertCorrupt("2.1", /ledger secret|AES-GCM/);
  });

  it("refuses signatures by a certificate the service did not endorse", async () => {
    await writeLedger(30, { sigEvery: 10, signer: { ...ids.node, certPem: ids.rogueCertPem } });
    assertCorrupt("2.10", /not endorsed by the service/);
    // Without a service certificate to check against, the same ledger replays.
    assert.equal(replayLedger({ dir, secret }).transactions.length, 30);
  });

  it("verifies every signature on request", async () => {
    await writeLedger(100, { sigEvery: 10 });
    const result = replayLedger({ dir, secret, verifySignatures: "all" });
    assert.equal(result.history.signatures.length, 10);
  });

  it("streams transactions instead of collecting them", async () => {
    const written = await writeLedger(20);
    const seen: LedgerTransaction[] = [];
    const result = replayLedger({ dir, secret, onTransaction: (tx) => seen.push(tx) });
    assert.deepEqual(seen, written);
    assert.equal(result.transactions.length, 0);
  });

  it("starts an empty ledger from nothing", () => {
    const result = replayLedger({ dir: join(dir, "absent"), secret });
    assert.deepEqual(result.transactions, []);
    assert.deepEqual(result.writerStart, { kind: "new", nextSeqno: 1 });
  });
});
