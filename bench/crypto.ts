/**
 * Encrypted file format throughput (client/format, docs/formats.md) for a 1 GiB file, next to
 * `openssl speed -evp aes-256-gcm` on the same machine in the same run (the limit), with the
 * process's peak RSS sampled during each phase to show that memory stays flat.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/crypto.js [options]   (--help lists them)
 *
 * Phases, each over the same 1 GiB (best of --repeat runs, default 3, except file to file):
 * - encrypt / decrypt, file workers: the plaintext file, or the ciphertext file (in practice in
 *   the page cache) → the file workers (client/format/parallel.ts, as `cleanroom dataset
 *   encrypt|decrypt` runs a file this large) → /dev/null. The format's own cost for a file, the
 *   figure compared with openssl; the destination's cost is left out, as /dev/null costs nothing.
 * - encrypt / decrypt, stream (one thread): plaintext from a generator (one random 1 MiB buffer,
 *   yielded 1024 times) → encryptStream → /dev/null; the ciphertext file → decryptStream →
 *   /dev/null. What uploads, downloads and the clean room's inputs and outputs run.
 * - encrypt / decrypt, file to file: encryptFile and decryptFile from disk to disk (temporary
 *   name, fsync, rename), i.e. the whole command, bound by the disk.
 */
import { execFile } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, open, rm, stat, type FileHandle } from "node:fs/promises";
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
import { openFile, sealFile } from "../client/format/parallel.js";
import { DEFAULT_THREADS } from "../client/format/workers.js";
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

/**
 * `openssl speed -evp aes-256-gcm -bytes 16384 -seconds 3`, in MB/s (10^6 bytes/s): one thread,
 * or with `-multi N` N processes together.
 */
async function opensslSpeed(processes = 1): Promise<number> {
  const args = ["speed", "-evp", "aes-256-gcm", "-bytes", "16384", "-seconds", "3"];
  if (processes > 1) args.splice(1, 0, "-multi", String(processes));
  const { stdout } = await promisify(execFile)("openssl", args);
  // The result line: "AES-256-GCM   5071234.56k" (thousands of bytes per second), with -multi too.
  const line = stdout.split("\n").find((l) => /^aes-256-gcm\s+[\d.]+k/i.test(l.trim()));
  const match = line?.trim().match(/([\d.]+)k\s*$/);
  if (!match) throw new Error(`cannot parse openssl speed output:\n${stdout}`);
  return (Number(match[1]) * 1000) / 1e6;
}

/**
 * One thread's ceiling through node:crypto: AES-256-GCM through `cipher.update` alone over the
 * same bytes, in the 64 KiB slices the format hands it, with no stream, framing or I/O, on one
 * 1 MiB block (in the cache, as openssl's 16 KiB are). Each update allocates its output; openssl's
 * loop does not.
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

/** Runs `work` with `path` open for reading and /dev/null for writing. */
async function toDevNull(
  path: string,
  work: (source: FileHandle, sink: FileHandle) => Promise<unknown>,
) {
  const source = await open(path, "r");
  const sink = await open("/dev/null", "w");
  try {
    await work(source, sink);
  } finally {
    await Promise.all([source.close(), sink.close()]);
  }
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
    const opensslAll = await opensslSpeed(DEFAULT_THREADS);
    console.log(`  with -multi ${DEFAULT_THREADS}: ${Math.round(opensslAll)} MB/s`);
    const plain = join(dir, "plain.bin");
    const enc = join(dir, "plain.bin.enc");
    const dec = join(dir, "plain.bin.dec");
    await writePlaintext(plain);
    const rssBefore = process.memoryUsage.rss() / MIB;
    // The ciphertext the decryption phases read (set-up, not timed; on this thread only).
    await encryptFile(dek, plain, enc, { chunkSize: CHUNK, binding: "bench", threads: 1 });

    // The one-thread phases first, so that the file workers' idle threads and what their
    // allocations did to the allocator cannot disturb them (one run measured them 10–20% slower
    // after the workers; another measurement, 0–7%).
    console.log("streams (one thread), encrypt then decrypt:");
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
    console.log("node:crypto ceiling (one thread):");
    const ceiling = await nodeCipherCeiling();

    const parallel = { binding: Buffer.from("bench"), threads: DEFAULT_THREADS, onProgress() {} };
    console.log(`file workers (${DEFAULT_THREADS} threads), encrypt then decrypt:`);
    const encryptWorkers = await best(() =>
      toDevNull(plain, (source, sink) => sealFile(dek, source, sink, CHUNK, parallel)),
    );
    const decryptWorkers = await best(() =>
      toDevNull(enc, async (source, sink) => {
        if (!(await openFile(dek, source, sink, parallel))) throw new Error("not opened");
      }),
    );
    // Run once each: fsync makes them disk-bound (shown for reference, no target).
    const encryptToFile = await measure(() =>
      encryptFile(dek, plain, enc, { chunkSize: CHUNK, binding: "bench" }),
    );
    const decryptToFile = await measure(() => decryptFile(dek, enc, dec, { binding: "bench" }));
    if ((await stat(dec)).size !== BYTES) throw new Error("decrypted size differs");
    await rm(dec);
    const target = Math.round(openssl * TARGET_SHARE);
    const phases = {
      encryptToFile,
      decryptToFile,
      encryptWorkers,
      decryptWorkers,
      encryptStreamed,
      decryptStreamed,
    };
    const peak = Math.max(...Object.values(phases).map((phase) => phase.peakRssMiB));
    const mbs = (name: string, value: number, t: number | null): Figure => ({
      name,
      value,
      unit: "MB/s",
      target: t,
      better: "higher",
    });
    const share = (name: string, value: number, t: number | null): Figure => ({
      name,
      value: (100 * value) / openssl,
      unit: "%",
      target: t,
      better: "higher",
    });
    const threads = `${DEFAULT_THREADS} threads`;
    const figures: Figure[] = [
      mbs("openssl aes-256-gcm 16 KiB (limit)", openssl, null),
      mbs(`openssl -multi ${DEFAULT_THREADS} (all cores)`, opensslAll, null),
      mbs("node:crypto cipher.update alone, one thread (ceiling)", ceiling.mbPerSecond, null),
      mbs(`encrypt, file → /dev/null (${threads})`, encryptWorkers.mbPerSecond, target),
      mbs(`decrypt, file → /dev/null (${threads})`, decryptWorkers.mbPerSecond, target),
      mbs("encrypt stream, generator → /dev/null (one thread)", encryptStreamed.mbPerSecond, null),
      mbs("decrypt stream, file → /dev/null (one thread)", decryptStreamed.mbPerSecond, null),
      mbs("encrypt, file → file (fsync)", encryptToFile.mbPerSecond, null),
      mbs("decrypt, file → file (fsync)", decryptToFile.mbPerSecond, null),
      share("encrypt file / openssl", encryptWorkers.mbPerSecond, TARGET_SHARE * 100),
      share("decrypt file / openssl", decryptWorkers.mbPerSecond, TARGET_SHARE * 100),
      {
        name: `encrypt file / openssl -multi ${DEFAULT_THREADS} (like for like)`,
        value: (100 * encryptWorkers.mbPerSecond) / opensslAll,
        unit: "%",
        target: null,
        better: "higher",
      },
      {
        name: `decrypt file / openssl -multi ${DEFAULT_THREADS} (like for like)`,
        value: (100 * decryptWorkers.mbPerSecond) / opensslAll,
        unit: "%",
        target: null,
        better: "higher",
      },
      share("encrypt stream / openssl", encryptStreamed.mbPerSecond, null),
      share("decrypt stream / openssl", decryptStreamed.mbPerSecond, null),
      share("node:crypto ceiling / openssl", ceiling.mbPerSecond, null),
      { name: "RSS before", value: rssBefore, unit: "MiB", target: null, better: "lower" },
      // Flat: the growth is a few chunks per thread plus output buffers V8 has not yet collected
      // (each thread's isolate lets up to ~64 MB of them wait for a collection), and does not
      // grow with the file (the same for 256 MiB and 1 GiB). Hence a bound per thread, this one
      // and each file worker's.
      {
        name: "peak RSS growth during any phase",
        value: peak - rssBefore,
        unit: "MiB",
        target: 64 * (DEFAULT_THREADS + 1),
        better: "lower",
      },
    ];
    for (const [name, phase] of Object.entries(phases)) {
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
