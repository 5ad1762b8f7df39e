import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Ledger } from "./ledger.js";
import { LedgerSecret, loadOrCreateLedgerSecret } from "./secret.js";
import { SignatureScheduler } from "./signatures.js";
import {
  makeIdentities,
  randomSecretBytes,
  sampleTransaction,
  tempDir,
  type TestIdentities,
} from "../../test/support/ledger-fixtures.js";
import type { FlushInfo } from "./writer.js";

describe("ledger/ledger", () => {
  let ids: TestIdentities;
  let dir: string;
  let remove: () => void;
  before(async () => {
    ids = await makeIdentities();
  });
  beforeEach(() => ({ dir, remove } = tempDir()));
  afterEach(() => remove());

  it("commits under load with far fewer fdatasyncs than transactions", async () => {
    const flushes: FlushInfo[] = [];
    const secret = new LedgerSecret(randomSecretBytes());
    const { ledger } = await Ledger.open({
      dir: join(dir, "ledger"),
      secret,
      onFlush: (info) => flushes.push(info),
    });
    // A steady stream: ten waves of 100 transactions, each wave appended while the previous
    // wave's flush may still be under way.
    const durable: Promise<void>[] = [];
    let seqno = 0;
    for (let wave = 0; wave < 10; wave++) {
      for (let i = 0; i < 100; i++) durable.push(ledger.append(sampleTransaction(2, ++seqno)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(durable);
    assert.equal(ledger.durableSeqno, 1000);
    assert.equal(
      flushes.reduce((n, f) => n + f.entries, 0),
      1000,
    );
    assert.ok(flushes.length <= 10, `${flushes.length} fdatasyncs for 1000 transactions`);
    await ledger.close();
  });

  it("rejects out-of-order or view-decreasing appends without changing anything", async () => {
    const secret = new LedgerSecret(randomSecretBytes());
    const { ledger } = await Ledger.open({ dir, secret });
    await ledger.append(sampleTransaction(3, 1));
    assert.throws(() => ledger.append(sampleTransaction(3, 3)), RangeError);
    assert.throws(() => ledger.append(sampleTransaction(2, 2)), RangeError);
    assert.throws(() => ledger.append({ view: 3, seqno: 2, writes: "nope" as never }), TypeError);
    assert.deepEqual(ledger.lastTxId, { view: 3, seqno: 1 });
    await ledger.append(sampleTransaction(3, 2));
    assert.deepEqual(ledger.lastTxId, { view: 3, seqno: 2 });
    await ledger.close();
  });

  it("refuses a signature transaction that does not sign the current state", async () => {
    const secret = new LedgerSecret(randomSecretBytes());
    const { ledger } = await Ledger.open({ dir, secret });
    await ledger.append(sampleTransaction(2, 1));
    const stale = ledger.signatureTransaction(ids.node, 2); // signs leaves 0..1 as seqno 2
    await ledger.append(sampleTransaction(2, 2));
    assert.throws(() => ledger.append({ ...stale, seqno: 3 }), /signs another state/);
    const fresh = ledger.signatureTransaction(ids.node);
    assert.equal(fresh.seqno, 3);
    await ledger.append(fresh);
    assert.equal(ledger.lastSignature?.seqno, 3);
    await ledger.close();
  });

  it("is driven by the scheduler as a node would", async () => {
    const secret = new LedgerSecret(randomSecretBytes());
    const { ledger } = await Ledger.open({ dir, secret });
    const durable: Promise<void>[] = [];
    let signed!: () => void;
    const allSigned = new Promise<void>((resolve) => (signed = resolve));
    const scheduler = new SignatureScheduler({ txCount: 5, delayMs: 60_000 }, () => {
      const sig = ledger.signatureTransaction(ids.node);
      durable.push(ledger.append(sig));
      scheduler.committed(true);
      if (ledger.history.signatures.length === 3) signed();
    });
    while (ledger.history.signatures.length < 3) {
      durable.push(ledger.append(sampleTransaction(2, ledger.history.lastSeqno + 1)));
      scheduler.committed(false);
      await Promise.resolve(); // between requests
    }
    await allSigned;
    await Promise.all(durable);
    scheduler.stop();
    assert.deepEqual(
      ledger.history.signatures.map((s) => s.seqno),
      [6, 12, 18],
    );
    await ledger.close();
  });

  it("keeps the ledger secret in the workspace, mode 0600, and reuses it", () => {
    const path = join(dir, "ledger_secret");
    const first = loadOrCreateLedgerSecret(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.match(readFileSync(path, "utf8"), /^[0-9a-f]{64}\n$/);
    const again = loadOrCreateLedgerSecret(path);
    assert.equal(again.commitEvidence(2, 5), first.commitEvidence(2, 5));
    assert.notEqual(first.commitEvidence(2, 5), first.commitEvidence(2, 6));
    assert.throws(() => new LedgerSecret(new Uint8Array(16)), RangeError);
  });
});
