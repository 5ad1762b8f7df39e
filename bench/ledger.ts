/**
 * Ledger throughput: append (serialise + encrypt + Merkle + group-committed fdatasync), replay
 * (read + verify + decrypt + rebuild the tree) and receipts, over 100,000+ transactions shaped like
 * the sandbox's (a public and a private table, ~100-byte values), a signature every 1000.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/ledger.js [--transactions 100000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeyObject, createHash, webcrypto } from "node:crypto";
import type { WriteSet } from "../sandbox/kv/store.js";
import { Ledger } from "../sandbox/ledger/ledger.js";
import { MerkleTree } from "../sandbox/ledger/merkle.js";
import { replayLedger } from "../sandbox/ledger/replay.js";
import { LedgerSecret } from "../sandbox/ledger/secret.js";
import type { SigningIdentity } from "../sandbox/ledger/signatures.js";
import { x509 } from "../sandbox/x509.js";
import { machine, printFigures, saveFigures, type Figure } from "./results.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const TRANSACTIONS = arg("--transactions", 100_000);
const SIGNATURE_EVERY = arg("--signature-every", 1000);
const CONCURRENCY = arg("--concurrency", 256);

function transaction(seqno: number): WriteSet {
  const key = (text: string) => Buffer.from(text).toString("latin1");
  return new Map([
    [
      "public:app.events",
      new Map([[key(`event-${seqno}`), new Uint8Array(Buffer.alloc(96, seqno % 256))]]),
    ],
    ["app.datasets", new Map([[key(`ds-${seqno % 5000}`), new Uint8Array(Buffer.alloc(128, 7))]])],
  ]);
}

async function main(): Promise<void> {
  console.log(`Machine: ${machine()}`);
  const dir = mkdtempSync(join(tmpdir(), "ledger-bench-"));
  const secret = new LedgerSecret(Buffer.alloc(32, 1));
  // A self-signed node identity: the bench measures costs, not endorsement.
  const keys = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, true, [
    "sign",
    "verify",
  ]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=CCF Node",
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-384" },
  });
  const spki = Buffer.from(await webcrypto.subtle.exportKey("spki", keys.publicKey));
  const identity: SigningIdentity = {
    nodeId: createHash("sha256").update(spki).digest("hex"),
    certPem: cert.toString("pem"),
    privateKey: KeyObject.from(keys.privateKey),
  };
  try {
    // --- append: N concurrent writers' worth of transactions in flight, group commit.
    let fsyncs = 0;
    const { ledger } = await Ledger.open({ dir, secret, onFlush: () => fsyncs++ });
    const inFlight = new Set<Promise<void>>();
    let started = performance.now();
    for (let seqno = 1; seqno <= TRANSACTIONS; seqno++) {
      const tx =
        seqno % SIGNATURE_EVERY === 0
          ? ledger.signatureTransaction(identity, 2)
          : { view: 2, seqno, writes: transaction(seqno) };
      const done = ledger.append(tx);
      inFlight.add(done);
      void done.then(() => inFlight.delete(done));
      if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const appendSeconds = (performance.now() - started) / 1000;
    const appendFsyncs = fsyncs;

    // --- latency of a lone transaction: one fdatasync each.
    const LONE = 200;
    started = performance.now();
    for (let i = 0; i < LONE; i++) {
      const seqno = ledger.history.lastSeqno + 1;
      await ledger.append({ view: 2, seqno, writes: transaction(seqno) });
    }
    const loneMs = (performance.now() - started) / LONE;

    // --- receipts for random historical transactions.
    const RECEIPTS = 20_000;
    const last = ledger.lastSignature!.seqno;
    started = performance.now();
    for (let i = 0; i < RECEIPTS; i++) ledger.receipt(1 + ((i * 7919) % last));
    const receiptsPerSecond = RECEIPTS / ((performance.now() - started) / 1000);
    await ledger.close();
    const total = ledger.history.lastSeqno;

    // --- replay: read, verify, decrypt, rebuild the tree; the last signature's ECDSA.
    started = performance.now();
    const replay = replayLedger({ dir, secret });
    const replaySeconds = (performance.now() - started) / 1000;
    if (replay.transactions.length !== total) throw new Error("replay lost transactions");

    // --- the Merkle tree alone.
    const tree = new MerkleTree();
    const leaf = Buffer.alloc(32, 3);
    started = performance.now();
    for (let i = 0; i < 1_000_000; i++) tree.append(leaf);
    const merklePerSecond = 1_000_000 / ((performance.now() - started) / 1000);
    started = performance.now();
    for (let i = 0; i < 10_000; i++) tree.root(1_000_000 - i);
    const rootMicros = ((performance.now() - started) * 1000) / 10_000;

    const figures: Figure[] = [
      {
        name: "ledger.append.throughput",
        value: TRANSACTIONS / appendSeconds,
        unit: "tx/s",
        target: null,
        better: "higher",
      },
      {
        name: "ledger.append.tx_per_fsync",
        value: TRANSACTIONS / appendFsyncs,
        unit: "tx",
        target: null,
        better: "higher",
      },
      {
        name: "ledger.append.lone_tx_latency",
        value: loneMs,
        unit: "ms",
        target: null,
        better: "lower",
      },
      {
        name: "ledger.replay.throughput",
        value: total / replaySeconds,
        unit: "tx/s",
        target: 50_000,
        better: "higher",
      },
      {
        name: "ledger.receipt.throughput",
        value: receiptsPerSecond,
        unit: "receipts/s",
        target: null,
        better: "higher",
      },
      {
        name: "ledger.merkle.append",
        value: merklePerSecond,
        unit: "leaves/s",
        target: null,
        better: "higher",
      },
      {
        name: "ledger.merkle.root_1M_leaves",
        value: rootMicros,
        unit: "µs",
        target: null,
        better: "lower",
      },
    ];
    console.log(
      `${total} transactions (signature every ${SIGNATURE_EVERY}), ${replay.files.length} files, ` +
        `${appendFsyncs} fdatasyncs while appending ${TRANSACTIONS}`,
    );
    printFigures(figures);
    console.log(`Saved to ${saveFigures("ledger", figures)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
