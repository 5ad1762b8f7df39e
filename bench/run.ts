/**
 * A full clean-room run next to plain DuckDB (issue 7, docs/benchmarks.md "Clean-room run"): the
 * same two-segment overlap query (join on a hashed id, then a group-by aggregate, as in the
 * analytics demo) over the same generated data — two parties with --rows rows each.
 *
 *   (a) plain DuckDB reads the plaintext CSV files with read_csv, runs the same SQL and writes the
 *       result as CSV;
 *   (b) a real runtime on a real sandbox runs the approved query over the same files encrypted
 *       with client/format in local folders: keys from governance, decrypt, project, load, query,
 *       thresholds, encrypt and write — timed from the run request until the run is Completed.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/run.js [--rows 1000000,10000000] [--repeat 3]
 *     [--poll-ms 100] [--no-save]
 *
 * Needs a governance bundle with the pending-runs route (governance/build, or GOVERNANCE_BUILD).
 * Runs with the runtime's Node flags (runtime/node-flags.ts), restarting itself with them.
 * Best of --repeat runs for each side; the phases are those of the fastest clean-room run. Each
 * run's line also gives the process's CPU time for plain DuckDB and for the clean-room run.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";

import { DuckDBInstance } from "@duckdb/node-api";

import type { DatasetField, DatasetLocation } from "../contracts/src/dataset.js";
import type { QueryDocument } from "../contracts/src/query.js";
import { decryptBytes, decryptStream, encryptStream } from "../client/format/index.js";
import { openStorage } from "../client/storage/index.js";
import { bindingOf } from "../client/format/index.js";
import { outputObject } from "../runtime/agent/run.js";
import { RUNTIME_NODE_FLAGS } from "../runtime/node-flags.js";
import { writeWithDuckDB } from "../runtime/engine/fixtures.test.js";
import { duckdbType } from "../runtime/engine/sql.js";
import { CONTRACT, logged, startWorld, type Runtime, type World } from "../test/runtime/world.js";
import { machine, printFigures, round, saveFigures, type Figure } from "./results.js";

const USAGE = `Usage: node dist/bench/run.js [options]

A full clean-room run next to plain DuckDB over the same generated data (docs/benchmarks.md).

  --rows N,N     rows per party, one size after the other (default 1000000,10000000)
  --repeat N     runs of each side per size; the best counts (default 3)
  --poll-ms MS   the runtime's polling interval (default 100)
  --no-save      print the figures only; leave bench/results/run.json as it is`;

if (process.argv.includes("--help")) {
  console.log(USAGE);
  process.exit(0);
}

// The clean room runs in this process here: run it as `cleanroom runtime start` runs the runtime
// (runtime/node-flags.ts), starting again with its Node flags if this process lacks them.
if (!RUNTIME_NODE_FLAGS.every((flag) => process.execArgv.includes(flag))) {
  const again = spawnSync(
    process.execPath,
    [...RUNTIME_NODE_FLAGS, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: "inherit" },
  );
  process.exit(again.status ?? 1);
}

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const SIZES = arg("--rows", "1000000,10000000").split(",").map(Number);
const REPEAT = Number(arg("--repeat", "3"));
/** How often the runtime asks governance for runs: the wait before a claim is part of a run. */
const POLL_MS = Number(arg("--poll-ms", "100"));
const SAVE = !process.argv.includes("--no-save");

/** northwind's customers: the hashed id, two allowed attributes, and an email no query may read. */
const CUSTOMERS: DatasetField[] = [
  { name: "id_hash", type: "string" },
  { name: "region", type: "string" },
  { name: "age", type: "integer" },
  { name: "email", type: "string" },
];
/** woodgrove's purchases: half of them by northwind's customers; the card number is not allowed. */
const PURCHASES: DatasetField[] = [
  { name: "id_hash", type: "string" },
  { name: "category", type: "string" },
  { name: "amount", type: "double" },
  { name: "card", type: "string" },
];
const allowed = (schema: DatasetField[]) => schema.slice(0, 3).map((f) => f.name);
const REPORT: DatasetField[] = [
  { name: "region", type: "string" },
  { name: "category", type: "string" },
  { name: "buyers", type: "long" },
  { name: "total", type: "double" },
];

const idOf = (i: string) => `printf('%016x', hash(${i} * 7919 + 1))`;
const generate = (rows: number) => ({
  customers:
    `SELECT ${idOf("i")} AS id_hash, ['north','south','east','west'][i % 4 + 1] AS region, ` +
    `(18 + hash(i) % 60)::INTEGER AS age, 'user' || i || '@example.com' AS email ` +
    `FROM range(${rows}) t(i)`,
  purchases:
    `SELECT ${idOf("(i * 2)")} AS id_hash, ` +
    `['books','games','music','garden','travel'][i % 5 + 1] AS category, ` +
    `round((hash(i) % 100000) / 100.0, 2) AS amount, lpad((hash(i) % 10000000000000000)::VARCHAR, 16, '0') AS card ` +
    `FROM range(${rows}) t(i)`,
});

/** The analytics demo's overlap shape: the join, then per group how many and how much. */
const SEGMENTS = [
  "SELECT c.region, p.category, p.amount FROM customers c JOIN purchases p ON c.id_hash = p.id_hash",
  "SELECT region, category, COUNT(*) AS buyers, ROUND(SUM(amount), 2) AS total FROM segment_0 " +
    "GROUP BY region, category ORDER BY region, category",
];

const seconds = (ms: number) => ms / 1000;
/**
 * CPU time of this process (all its threads: DuckDB's, Node's, the sandbox's) over a side's run:
 * unlike the wall time, it hardly changes with what other processes on the machine are doing.
 */
const cpuSeconds = (usage: NodeJS.CpuUsage) => `${round((usage.user + usage.system) / 1e6)} s`;
const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

/**
 * (a) Plain DuckDB over the plaintext files: the same SQL, the result written as CSV. With
 * `tablesFirst` the files are first loaded into tables, as the clean room must load its inputs
 * before the SQL runs: the difference is the cost of that model, not of the protections.
 */
async function plainRun(dir: string, out: string, tablesFirst = false): Promise<number> {
  const start = performance.now();
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const scan = (view: string, schema: DatasetField[]) => {
      const columns = schema.map((f) => `'${f.name}': '${duckdbType(f.type)}'`).join(", ");
      return (
        `CREATE ${tablesFirst ? "TABLE" : "VIEW"} ${view} AS SELECT ${allowed(schema).join(", ")} FROM ` +
        `read_csv('${join(dir, `${view}.csv`)}', header = true, columns = {${columns}})`
      );
    };
    await connection.run(scan("customers", CUSTOMERS));
    await connection.run(scan("purchases", PURCHASES));
    await connection.run(`CREATE TEMP TABLE segment_0 AS ${SEGMENTS[0]}`);
    await connection.run(`COPY (${SEGMENTS[1]}) TO '${out}' (FORMAT csv, HEADER true)`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return performance.now() - start;
}

/** Encrypts `plainFile` with the dataset's DEK into its local folder, as its owner would. */
async function encryptInto(world: World, datasetId: string, plainFile: string, folder: string) {
  const sealed = encryptStream(world.deks.get(datasetId)!, {
    binding: bindingOf(CONTRACT, datasetId),
  });
  const storage = openStorage({ kind: "local", path: folder });
  const put = storage.put("part-0.csv", sealed);
  await pipeline(createReadStream(plainFile), sealed);
  await put;
}

/**
 * How long reading and decrypting alone take (streamed to nowhere), read as the runtime reads:
 * the share of `load` that is not DuckDB's.
 */
async function decryptOnly(world: World, datasetId: string, folder: string): Promise<number> {
  const start = performance.now();
  await pipeline(
    await openStorage({ kind: "local", path: folder }).get("part-0.csv"),
    decryptStream(world.deks.get(datasetId)!, { binding: bindingOf(CONTRACT, datasetId) }),
    new Writable({ write: (_chunk, _encoding, done) => done() }),
  );
  return performance.now() - start;
}

interface CleanRoomRun {
  totalMs: number;
  durationsMs: Record<string, number>;
  /** From the request until the runtime started the run's first phase (discovery and claim). */
  claimMs: number;
  runId: string;
}

/**
 * From the run request until the runtime has reported it Completed (seen in its log, so that
 * waiting costs governance nothing while the run works; this includes freeing the engine).
 */
async function cleanRoomRun(
  world: World,
  runtime: Runtime,
  queryId: string,
): Promise<CleanRoomRun> {
  const start = performance.now();
  const requestedAt = Date.now();
  const runId = await world.requestRun(queryId);
  const ended = await logged(
    runtime.logs,
    (e) => (e.event === "run.completed" || e.event === "run.failed") && e.runId === runId,
  );
  const totalMs = performance.now() - start;
  assert.equal(ended.event, "run.completed", String(ended.reason));
  const run = await world.run(runId);
  assert.equal(run.state, "Completed");
  const first = await logged(
    runtime.logs,
    (e) => e.event === "run.phase" && e.runId === runId && e.phase === "keys",
  );
  const claimMs = Date.parse(first.time) - requestedAt;
  return { totalMs, durationsMs: run.result!.durationsMs, claimMs, runId };
}

/** One size's data: plaintext files for plain DuckDB, the same encrypted and published. */
interface Prepared {
  rows: number;
  dir: string;
  queryId: string;
  datasetIds: string[];
  reportId: string;
  reportFolder: string;
}

async function prepare(world: World, rows: number, scratch: string): Promise<Prepared> {
  const tag = `r${rows}`;
  const dir = join(scratch, tag);
  await mkdir(dir);
  const data = generate(rows);
  await writeWithDuckDB(data.customers, join(dir, "customers.csv"), "csv");
  await writeWithDuckDB(data.purchases, join(dir, "purchases.csv"), "csv");

  const [northwind, woodgrove] = world.owners as [World["owners"][0], World["owners"][0]];
  const datasets = [
    { id: `customers${tag}`, view: "customers", owner: northwind, schema: CUSTOMERS },
    { id: `purchases${tag}`, view: "purchases", owner: woodgrove, schema: PURCHASES },
  ];
  for (const d of datasets) {
    const location: DatasetLocation = { kind: "local", path: join(world.folder, d.id) };
    await world.publish(d.owner, d.id, {
      location,
      storage: openStorage(location),
      schema: d.schema,
      allowedFields: allowed(d.schema),
    });
    await encryptInto(world, d.id, join(dir, `${d.view}.csv`), location.path);
  }
  const reportId = `report${tag}`;
  const reportFolder = join(world.folder, reportId);
  const reportLocation: DatasetLocation = { kind: "local", path: reportFolder };
  await world.publish(northwind, reportId, {
    location: reportLocation,
    storage: openStorage(reportLocation),
    schema: REPORT,
  });
  const queryId = `overlap${tag}`;
  const query: QueryDocument = {
    sql: SEGMENTS.map((statement) => ({ statement })),
    inputs: datasets.map((d) => ({ datasetId: d.id, view: d.view })),
    output: { datasetId: reportId },
    thresholds: { minGroupSize: 50, groupBy: ["region", "category"] },
  };
  await world.approveQuery(queryId, query, [northwind, woodgrove]);
  return { rows, dir, queryId, datasetIds: datasets.map((d) => d.id), reportId, reportFolder };
}

/** The clean-room output decrypted by its owner must hold exactly plain DuckDB's result. */
async function checkSameResult(world: World, size: Prepared, runId: string): Promise<void> {
  const sealed = await readFile(join(size.reportFolder, outputObject(runId)));
  const lines = (text: string) => text.trim().split(/\r?\n/);
  const clean = await decryptBytes(world.deks.get(size.reportId)!, sealed, {
    binding: bindingOf(CONTRACT, size.reportId),
  });
  const plain = await readFile(join(size.dir, PLAIN_OUTPUT), "utf8");
  assert.deepEqual(lines(clean.toString("utf8")), lines(plain));
}

const PLAIN_OUTPUT = "plain-output.csv";

interface Row {
  rows: number;
  plainMs: number;
  tablesFirstMs: number;
  cleanMs: number;
  phases: Record<string, number>;
  claimMs: number;
  decryptMs: number;
}

const PHASES = ["keys", "load", "query", "thresholds", "write"];

function printTable(rows: Row[]): void {
  const head = [
    "rows",
    "plain s",
    "tables 1st s",
    "clean-room s",
    "ratio",
    ...PHASES.map((p) => `${p} s`),
    "governance s",
  ];
  console.log(head.map((h) => h.padStart(14)).join(""));
  for (const r of rows) {
    const phases = PHASES.map((p) =>
      r.phases[p] === undefined ? "-" : String(round(seconds(r.phases[p]))),
    );
    const cells = [
      r.rows.toLocaleString("en"),
      String(round(seconds(r.plainMs))),
      String(round(seconds(r.tablesFirstMs))),
      String(round(seconds(r.cleanMs))),
      `${round(r.cleanMs / r.plainMs)}×`,
      ...phases,
      String(round(seconds(governanceOverhead(r)))),
    ];
    console.log(cells.map((c) => c.padStart(14)).join(""));
  }
}

/** Run time not spent in a reported phase: request, discovery, claim, attestation, completion. */
const governanceOverhead = (r: Row) =>
  r.cleanMs - PHASES.reduce((sum, p) => sum + (r.phases[p] ?? 0), 0);

function figuresOf(r: Row): Figure[] {
  const label = `${r.rows / 1e6}M rows × 2 parties`;
  const ms = (name: string, value: number): Figure => ({
    name: `${label}: ${name}`,
    value,
    unit: "ms",
    target: null,
    better: "lower",
  });
  return [
    ms("plain DuckDB", r.plainMs),
    ms("plain DuckDB, tables first", r.tablesFirstMs),
    ms("clean-room run", r.cleanMs),
    {
      name: `${label}: clean-room / plain`,
      value: r.cleanMs / r.plainMs,
      unit: "×",
      target: r.rows >= 10_000_000 ? 1.3 : null,
      better: "lower",
    },
    ...PHASES.filter((p) => r.phases[p] !== undefined).map((p) => ms(`phase ${p}`, r.phases[p]!)),
    ms("governance overhead", governanceOverhead(r)),
    ms("governance overhead: until claimed", r.claimMs),
    ms("read + decrypt only (both inputs)", r.decryptMs),
  ];
}

/**
 * Best of REPEAT for each side, the two taking turns so that both meet the same background load
 * on a shared machine. The runtime polls governance (in this process) during plain runs too.
 */
async function measure(world: World, runtime: Runtime, size: Prepared): Promise<Row> {
  let plainMs = Infinity;
  let tablesFirstMs = Infinity;
  let clean: CleanRoomRun | undefined;
  for (let i = 0; i < REPEAT; i++) {
    let cpu = process.cpuUsage();
    const plain = await plainRun(size.dir, join(size.dir, PLAIN_OUTPUT));
    const plainCpu = process.cpuUsage(cpu);
    const tablesFirst = await plainRun(size.dir, join(size.dir, "tables-first.csv"), true);
    cpu = process.cpuUsage();
    const run = await cleanRoomRun(world, runtime, size.queryId);
    const cleanCpu = process.cpuUsage(cpu);
    // The runtime makes the next run's key once idle: not while the next plain run is timed.
    await runtime.handle.whenIdle();
    const took = (ms: number | undefined) => `${round(seconds(ms ?? NaN))} s`;
    console.log(
      `  ${size.rows} rows: plain ${took(plain)} (CPU ${cpuSeconds(plainCpu)}), tables first ` +
        `${took(tablesFirst)}, clean-room ${took(run.totalMs)} (CPU ${cpuSeconds(cleanCpu)}), ` +
        `load phase ${took(run.durationsMs["load"])} (load average ${loadAverage()})`,
    );
    plainMs = Math.min(plainMs, plain);
    tablesFirstMs = Math.min(tablesFirstMs, tablesFirst);
    if (!clean || run.totalMs < clean.totalMs) clean = run;
  }
  await checkSameResult(world, size, clean!.runId);
  let decryptMs = 0;
  for (const id of size.datasetIds) {
    decryptMs += await decryptOnly(world, id, join(world.folder, id));
  }
  return {
    rows: size.rows,
    plainMs,
    tablesFirstMs,
    cleanMs: clean!.totalMs,
    claimMs: clean!.claimMs,
    phases: clean!.durationsMs,
    decryptMs,
  };
}

async function main(): Promise<void> {
  console.log(`Machine: ${machine()}; load average ${loadAverage()}`);
  const scratch = await mkdtemp(join(tmpdir(), "bench-run-"));
  const world = await startWorld();
  try {
    const sizes: Prepared[] = [];
    for (const rows of SIZES) sizes.push(await prepare(world, rows, scratch));
    const runtime = world.startRuntime({ pollMs: POLL_MS });
    await runtime.handle.whenIdle();
    const rows: Row[] = [];
    for (const size of sizes) rows.push(await measure(world, runtime, size));
    printTable(rows);
    const figures = rows.flatMap(figuresOf);
    printFigures(figures);
    if (SAVE) console.log(`Saved ${saveFigures("run", figures)}`);
    console.log(`Load average at the end: ${loadAverage()}`);
  } finally {
    await world.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
