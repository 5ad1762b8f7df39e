/**
 * The query engine's load overhead (runtime/engine, docs/runtime.md "Engine"): 1 million generated
 * rows loaded the way a run loads them — CSV streamed through a FIFO in a private RAM directory,
 * Parquet written to a private tmpfs directory, projected to five of six columns and typed per
 * schema — next to plain DuckDB reading the same plaintext file from disk into a table.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/engine.js [--rows 1000000] [--repeat 3]
 *
 * The engine reads each file through a Node stream (as the agent hands over decrypted plaintext),
 * so the difference is what the FIFO / tmpfs hop and the projection cost. Best of --repeat runs.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { DatasetField } from "../contracts/src/dataset.js";
import { QueryEngine } from "../runtime/engine/engine.js";
import { openDuckDB } from "../runtime/engine/lockdown.js";
import { fileOnDisk, writeWithDuckDB } from "../runtime/engine/fixtures.test.js";
import { machine, printFigures, saveFigures, type Figure } from "./results.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROWS = arg("--rows", 1_000_000);
const REPEAT = arg("--repeat", 3);

const SCHEMA: DatasetField[] = [
  { name: "id", type: "long" },
  { name: "email", type: "string" },
  { name: "city", type: "string" },
  { name: "age", type: "integer" },
  { name: "day", type: "date" },
  { name: "amount", type: "double" },
];
const ALLOWED = ["id", "city", "age", "day", "amount"];
const GENERATE =
  `SELECT i AS id, 'user' || i || '@example.com' AS email, ['Paris','Lyon','Nice'][i % 3 + 1] AS city, ` +
  `(18 + i % 60)::INTEGER AS age, DATE '2026-01-01' + (i % 365)::INTEGER AS day, ` +
  `round(i * 0.37, 2) AS amount FROM range(${ROWS}) t(i)`;

async function best(work: () => Promise<number>): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < REPEAT; i++) {
    const start = performance.now();
    const rows = await work();
    fastest = Math.min(fastest, performance.now() - start);
    if (rows !== ROWS) throw new Error(`loaded ${rows} rows, expected ${ROWS}`);
  }
  return fastest;
}

/** Plain DuckDB: the same columns, typed the same way, straight from the file on disk. */
async function direct(path: string, format: "csv" | "parquet"): Promise<number> {
  const { instance, connection } = await openDuckDB({});
  try {
    const typed =
      "{'id':'BIGINT','email':'VARCHAR','city':'VARCHAR','age':'INTEGER','day':'DATE','amount':'DOUBLE'}";
    const scan =
      format === "csv"
        ? `read_csv('${path}', header = true, columns = ${typed})`
        : `read_parquet('${path}')`;
    await connection.run(`CREATE TABLE t AS SELECT ${ALLOWED.join(", ")} FROM ${scan}`);
    const reader = await connection.runAndReadAll("SELECT count(*) FROM t");
    return Number(reader.getRowsJS()[0]?.[0]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function viaEngine(path: string, format: "csv" | "parquet"): Promise<number> {
  const engine = await QueryEngine.create();
  try {
    return await engine.load({
      datasetId: "bench",
      view: "bench",
      format,
      schema: SCHEMA,
      allowedFields: ALLOWED,
      files: [fileOnDisk(path, `part-0.${format}`)],
    });
  } finally {
    await engine.close();
  }
}

async function main(): Promise<void> {
  console.log(`Machine: ${machine()}`);
  const dir = await mkdtemp(join(tmpdir(), "bench-engine-"));
  try {
    const figures: Figure[] = [];
    for (const format of ["csv", "parquet"] as const) {
      const path = join(dir, `data.${format}`);
      await writeWithDuckDB(GENERATE, path, format);
      const plain = await best(() => direct(path, format));
      const engine = await best(() => viaEngine(path, format));
      const label = `${format}, ${ROWS / 1e6}M rows`;
      figures.push(
        {
          name: `load ${label}: plain DuckDB`,
          value: plain,
          unit: "ms",
          target: null,
          better: "lower",
        },
        { name: `load ${label}: engine`, value: engine, unit: "ms", target: null, better: "lower" },
        {
          name: `load ${label}: engine / plain`,
          value: engine / plain,
          unit: "×",
          target: null,
          better: "lower",
        },
      );
    }
    printFigures(figures);
    console.log(`Saved ${saveFigures("engine", figures)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
