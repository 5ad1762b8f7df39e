/**
 * Encrypted file format throughput (client/format, docs/formats.md) for a 1 GiB file, next to
 * `openssl speed -evp aes-256-gcm` on the same machine in the same run (the limit), with the
 * process's peak RSS sampled during each phase to show that memory stays flat.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/crypto.js [options]   (--help lists them)
 *
 * Phases, each over the same 1 GiB:
 * - encrypt / decrypt, stream (best of --repeat runs, default 3): plaintext from a generator
 *   (one random 1 MiB buffer, yielded 1024 times) → encryptStream → /dev/null; the ciphertext
 *   file, read from disk (in practice the page cache) → decryptStream → /dev/null. This is the
 *   format's own cost, the figure compared with openssl.
 * - encrypt / decrypt, file to file: encryptFile and decryptFile from disk to disk (temporary
 *   name, fsync, rename), i.e. what `cleanroom dataset encrypt|decrypt` does.
 */
import { execFile } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import {
  decryptFile,
  decryptStream,
  encryptFile,
  encryptStream,
  generateDek,
} from "../client/format/index.js";
import { machine, printFigures, saveFigures, type Figure } from "./results.js";

const USAGE = `Usage: node dist/bench/crypto.js [options]

Encrypted file format throughput for one file, next to openssl speed (docs/benchmarks.md).

  --mib N         file size in MiB (default 1024)
  --chunk-kib N   plaintext chunk size in KiB (default 1024)
  --read-kib N    read size of the ciphertext file (default 1024)
  --write-kib N   the /dev/null sink's buffer (default 4096, as files.ts)
  --repeat N      runs of each stream phase; the best counts (default 3)
  --no-save       print the figures only; leave bench/results/crypto.json as it is`;

if (process.argv.includes("--help")) {
  console.log(USAGE);
  process.exit(0);
}

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const MIB = 1024 * 1024;
const SIZE_MIB = arg("--mib", 1024);
const CHUNK = arg("--chunk-kib", 1024) * 1024;
const BYTES = SIZE_MIB * MIB;
const TARGET_SHARE = 0.7;
const READ = arg("--read-kib", 1024) * 1024;
/** The sink's buffer, as files.ts writes files: room for a few chunks, so writes batch. */
const WRITE = arg("--write-kib", 4096) * 1024;
const REPEAT = arg("--repeat", 3);
const SAVE = !process.argv.includes("--no-save");

/** The 1, 5 and 15 minute load averages: on a shared machine, how busy the neighbours were. */
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");

/** `openssl speed -evp aes-256-gcm -bytes 16384 -seconds 3`, in MB/s (10^6 bytes/s). */
async function opensslSpeed(): Promise<number> {
  const args = ["speed", "-evp", "aes-256-gcm", "-bytes", "16384", "-seconds", "3"];
  const { stdout } = await promisify(execFile)("openssl", args);
  // The result line: "AES-256-GCM   5071234.56k" (thousands of bytes per second).
  const line = stdout.split("\n").find((l) => /^aes-256-gcm\s+[\d.]+k/i.test(l.trim()));
  const match = line?.trim().match(/([\d.]+)k\s*$/);
  if (!match) throw new Error(`cannot parse openssl speed output:\n${stdout}`);
  return (Number(match[1]) * 1000) / 1e6;
}

/**
 * Node's own ceiling: AES-256-GCM through `cipher.update` alone over the same bytes, in the 64 KiB
 * slices the format hands it, with no stream, framing or sink. What the format can approach at best
 * through node:crypto (each update allocates its output; openssl's loop does not).
 */
async function nodeCipherCeiling(): Promise<Phase> {
  const key = randomBytes(32);
  const block = randomBytes(MIB);
  const SLICE = 64 * 1024;
  return best(async () => {
    for (let i = 0; i < SIZE_MIB; i++) {
      const cipher = createCipheriv("aes-256-gcm", key, randomBytes(12));
      for (let at = 0; at < MIB; at += SLICE) cipher.update(block.subarray(at, at + SLICE));
      cipher.final();
    }
  });
}

interface Phase {
  mbPerSecond: number;
  peakRssMiB: number;
}

/** Runs `work` once, timing it and sampling RSS every 10 ms. */
async function measure(work: () => Promise<void>): Promise<Phase> {
  global.gc?.();
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const start = process.hrtime.bigint();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  peak = Math.max(peak, process.memoryUsage.rss());
  return { mbPerSecond: BYTES / 1e6 / seconds, peakRssMiB: peak / MIB };
}

/** The fastest of REPEAT runs (the machine is shared: slower runs measure the neighbours). */
async function best(work: () => Promise<void>): Promise<Phase> {
  const runs: Phase[] = [];
  for (let i = 0; i < REPEAT; i++) runs.push(await measure(work));
  console.log(`  runs: ${runs.map((r) => Math.round(r.mbPerSecond)).join(", ")} MB/s`);
  return {
    mbPerSecond: Math.max(...runs.map((r) => r.mbPerSecond)),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
  };
}

async function* plaintext(): AsyncGenerator<Buffer> {
  const block = randomBytes(MIB);
  for (let i = 0; i < SIZE_MIB; i++) yield block;
}

async function writePlaintext(path: string): Promise<void> {
  await pipeline(Readable.from(plaintext()), createWriteStream(path));
}

async function main(): Promise<void> {
  console.log(`Machine: ${machine()}`);
  console.log(`File: ${SIZE_MIB} MiB, chunk ${CHUNK / 1024} KiB`);
  console.log(`Load average before: ${load()}`);
  const dir = await mkdtemp(join(tmpdir(), "crypto-bench-"));
  const dek = generateDek();
  try {
    const openssl = await opensslSpeed();
    console.log(`openssl speed -evp aes-256-gcm (16 KiB blocks): ${Math.round(openssl)} MB/s`);
    const plain = join(dir, "plain.bin");
    const enc = join(dir, "plain.bin.enc");
    const dec = join(dir, "plain.bin.dec");
    await writePlaintext(plain);
    const rssBefore = process.memoryUsage.rss() / MIB;

    // Run once each: fsync makes them disk-bound (shown for reference, no target).
    const encryptToFile = await measure(() =>
      encryptFile(dek, plain, enc, { chunkSize: CHUNK, binding: "bench" }),
    );
    const decryptToFile = await measure(() => decryptFile(dek, enc, dec, { binding: "bench" }));
    if ((await stat(dec)).size !== BYTES) throw new Error("decrypted size differs");
    await rm(dec);
    const encryptStreamed = await best(() =>
      pipeline(
        Readable.from(plaintext()),
        encryptStream(dek, { chunkSize: CHUNK, binding: "bench" }),
        createWriteStream("/dev/null", { highWaterMark: WRITE }),
      ),
    );
    const decryptStreamed = await best(() =>
      pipeline(
        createReadStream(enc, { highWaterMark: READ }),
        decryptStream(dek, { binding: "bench" }),
        createWriteStream("/dev/null", { highWaterMark: WRITE }),
      ),
    );

    const ceiling = await nodeCipherCeiling();

    const target = Math.round(openssl * TARGET_SHARE);
    const peak = Math.max(
      encryptToFile.peakRssMiB,
      decryptToFile.peakRssMiB,
      encryptStreamed.peakRssMiB,
      decryptStreamed.peakRssMiB,
    );
    const mbs = (name: string, value: number, t: number | null): Figure => ({
      name,
      value,
      unit: "MB/s",
      target: t,
      better: "higher",
    });
    const figures: Figure[] = [
      mbs("openssl aes-256-gcm 16 KiB (limit)", openssl, null),
      mbs("node:crypto cipher.update alone, 64 KiB slices (ceiling)", ceiling.mbPerSecond, null),
      mbs("encrypt, generator → /dev/null", encryptStreamed.mbPerSecond, target),
      mbs("decrypt, file → /dev/null", decryptStreamed.mbPerSecond, target),
      mbs("encrypt, file → file (fsync)", encryptToFile.mbPerSecond, null),
      mbs("decrypt, file → file (fsync)", decryptToFile.mbPerSecond, null),
      {
        name: "encrypt stream / openssl",
        value: (100 * encryptStreamed.mbPerSecond) / openssl,
        unit: "%",
        target: TARGET_SHARE * 100,
        better: "higher",
      },
      {
        name: "decrypt stream / openssl",
        value: (100 * decryptStreamed.mbPerSecond) / openssl,
        unit: "%",
        target: TARGET_SHARE * 100,
        better: "higher",
      },
      {
        name: "node:crypto ceiling / openssl",
        value: (100 * ceiling.mbPerSecond) / openssl,
        unit: "%",
        target: null,
        better: "higher",
      },
      { name: "RSS before", value: rssBefore, unit: "MiB", target: null, better: "lower" },
      // Flat: the growth is a few chunks plus output buffers V8 has not yet collected, and does
      // not grow with the file (the same for 256 MiB and 1 GiB).
      {
        name: "peak RSS growth during any phase",
        value: peak - rssBefore,
        unit: "MiB",
        target: 128,
        better: "lower",
      },
    ];
    for (const [name, phase] of Object.entries({
      encryptToFile,
      decryptToFile,
      encryptStreamed,
      decryptStreamed,
    })) {
      console.log(`  peak RSS ${name}: ${Math.round(phase.peakRssMiB)} MiB`);
    }
    console.log(`Load average after: ${load()}`);
    printFigures(figures);
    if (SAVE) console.log(`Saved ${saveFigures("crypto", figures)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
