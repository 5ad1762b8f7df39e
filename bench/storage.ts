/**
 * Storage throughput: upload and download of one large object (256 MiB by default) through the
 * client/storage backends — a local folder, Azurite (Azure Blob) and s3rver (S3) on loopback, each
 * started by the benchmark — with the default block/part size (8 MiB) and concurrency (4). Best of
 * `--runs` runs. MB/s are 10^6 bytes per second.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/storage.js [--mib 256] [--runs 2]
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";

import { openStorage, type S3Storage, type StorageBackend } from "../client/storage/index.js";
import { startAzurite } from "../test/support/azurite.js";
import { startS3Server } from "../test/support/s3server.js";
import { machine, printFigures, saveFigures, type Figure } from "./results.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const MIB = arg("--mib", 256);
const RUNS = arg("--runs", 2);
const SIZE = MIB * 1024 * 1024;
const CHUNK = 1024 * 1024;

/** SIZE bytes in 1 MiB chunks cut from 16 MiB of random data (no cost per byte to produce). */
function source(pattern: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < SIZE; offset += CHUNK) {
        const at = offset % pattern.length;
        yield pattern.subarray(at, at + Math.min(CHUNK, SIZE - offset));
      }
    })(),
  );
}

async function measure(label: string, store: StorageBackend, pattern: Buffer): Promise<Figure[]> {
  await store.create();
  let up = 0;
  let down = 0;
  for (let run = 0; run < RUNS; run++) {
    const t0 = process.hrtime.bigint();
    const { size } = await store.put("bench/object.bin", source(pattern), { size: SIZE });
    const t1 = process.hrtime.bigint();
    if (size !== SIZE) throw new Error(`${label}: uploaded ${size} bytes, expected ${SIZE}`);
    let received = 0;
    for await (const chunk of await store.get("bench/object.bin")) {
      received += (chunk as Buffer).length;
    }
    const t2 = process.hrtime.bigint();
    if (received !== SIZE)
      throw new Error(`${label}: downloaded ${received} bytes, expected ${SIZE}`);
    up = Math.max(up, SIZE / 1e6 / (Number(t1 - t0) / 1e9));
    down = Math.max(down, SIZE / 1e6 / (Number(t2 - t1) / 1e9));
  }
  await store.delete("bench/object.bin");
  const figure = (what: string, value: number): Figure => ({
    name: `storage.${label}.${what}_${MIB}MiB`,
    value,
    unit: "MB/s",
    target: null,
    better: "higher",
  });
  return [figure("upload", up), figure("download", down)];
}

async function main(): Promise<void> {
  console.log(`Machine: ${machine()}`);
  console.log(`Object: ${MIB} MiB, best of ${RUNS} runs, 8 MiB blocks/parts, concurrency 4`);
  const pattern = randomBytes(16 * CHUNK);
  const figures: Figure[] = [];

  const dir = mkdtempSync(join(tmpdir(), "bench-storage-"));
  try {
    figures.push(...(await measure("local", openStorage({ kind: "local", path: dir }), pattern)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const azurite = await startAzurite();
  try {
    const store = openStorage(
      { kind: "azure-blob", accountUrl: azurite.accountUrl, container: "bench" },
      {
        kind: "azure-shared-key",
        accountName: azurite.accountName,
        accountKey: azurite.accountKey,
      },
    );
    figures.push(...(await measure("azurite", store, pattern)));
  } finally {
    await azurite.stop();
  }

  const s3 = await startS3Server();
  try {
    const store = openStorage(
      { kind: "s3", endpoint: s3.endpoint, bucket: "bench" },
      { kind: "s3-static", accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    );
    try {
      figures.push(...(await measure("s3rver", store, pattern)));
    } finally {
      (store as S3Storage).close();
    }
  } finally {
    await s3.stop();
  }

  printFigures(figures);
  console.log(`Saved ${saveFigures("storage", figures)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
