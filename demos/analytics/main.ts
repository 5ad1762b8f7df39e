#!/usr/bin/env node
/**
 * The analytics demo: an operator and two collaborators — northwind (a publisher with audience
 * data in Azure Blob) and woodgrove (an advertiser with customers in S3, and the output) — run the
 * whole clean-room flow with the `cleanroom` CLI, each as its own profile and its own processes.
 *
 *   npm run demo [-- --workdir <dir>] [--keep] [--seed <n>] [--rows <n>] [--report <file.json>]
 *
 * It starts Azurite and the S3 server itself, keeps everything in its working folder (a temporary
 * one unless --workdir), stops everything it started and removes the folder (unless --keep) — also
 * on failure or Ctrl-C — and exits 1 if any result is not what it should be.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { stopChildren } from "./cli.js";
import type { DataSizes } from "./data.js";
import { Journal } from "./journal.js";
import { auditTrail } from "./phases/audit.js";
import { setUpConsortium } from "./phases/consortium.js";
import { agreeContract } from "./phases/contract.js";
import { publishData } from "./phases/data.js";
import { agreeQuery } from "./phases/query.js";
import { consentOff, disallowedField } from "./phases/refusals.js";
import { runOverlap, startCleanRoom } from "./phases/run.js";
import { MIN_GROUP_SIZE, MIN_ROWS, OVERLAP_SQL } from "./queries.js";
import { Cleanup, createWorld } from "./world.js";

interface Options {
  workdir?: string;
  keep: boolean;
  seed: number;
  rows: number;
  report?: string;
}

const USAGE =
  "usage: npm run demo -- [--workdir <empty dir>] [--keep] [--seed <n>] [--rows <n ≥ 10000>] [--report <file.json>]";

function options(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        workdir: { type: "string" },
        keep: { type: "boolean", default: false },
        seed: { type: "string", default: "7" },
        rows: { type: "string", default: "100000" },
        report: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${USAGE}`, { cause: error });
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const seed = Number(values.seed);
  const rows = Number(values.rows);
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(rows) || rows < 10_000) {
    throw new Error(USAGE);
  }
  return { workdir: values.workdir, keep: values.keep, seed, rows, report: values.report };
}

/** Woodgrove has `rows` customers, northwind 20 % more readers, 40 % of the customers in both. */
function sizes(rows: number): DataSizes {
  return { audience: Math.round(rows * 1.2), customers: rows, overlap: Math.round(rows * 0.4) };
}

function workdirOf(requested: string | undefined): string {
  if (requested === undefined) return mkdtempSync(resolve(tmpdir(), "cleanroom-demo-"));
  const dir = resolve(requested);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new Error(
      `--workdir ${dir} is not empty (the demo removes its working folder at the end)`,
    );
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function main(): Promise<number> {
  const opts = options(process.argv.slice(2));
  const workdir = workdirOf(opts.workdir);
  const journal = new Journal((line) => console.log(line));
  const cleanup = new Cleanup(journal);
  const finish = async () => {
    stopChildren();
    await cleanup.run();
    if (!opts.keep) rmSync(workdir, { recursive: true, force: true });
  };
  const interrupted = (signal: NodeJS.Signals) => {
    journal.halt();
    console.log(`\n${signal}: stopping everything the demo started …`);
    void finish().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);

  console.log(`cleanroom analytics demo — working folder ${workdir}`);
  let error: string | null = null;
  try {
    const world = await journal.phase("services", "Storage services", () =>
      createWorld(workdir, journal, cleanup),
    );
    const consortium = await journal.phase("consortium", "Consortium and invitations", () =>
      setUpConsortium(world),
    );
    // The clean room's measurement, as members compute it from the runtime build they approve.
    const measurement = await journal.phase(
      "contract",
      "Contract and clean-room policy",
      async () => {
        const { measurement } = await world.operator.json<{ measurement: string }>([
          "runtime",
          "measure",
        ]);
        await agreeContract(world, consortium, measurement);
        return measurement;
      },
    );
    const data = await journal.phase("data", "Datasets: generate, encrypt, upload, publish", () =>
      publishData(world, opts.seed, sizes(opts.rows)),
    );
    await journal.phase("query", "Query: propose, review, approve", () =>
      agreeQuery(world, {
        queryId: "overlap",
        sql: OVERLAP_SQL,
        rules: [
          "--min-group-size",
          String(MIN_GROUP_SIZE),
          "--group-by",
          "segment",
          "--min-rows",
          String(MIN_ROWS),
        ],
      }),
    );
    await journal.phase("run", "Run in the clean room", async () => {
      await startCleanRoom(world, measurement);
      await runOverlap(world, data);
    });
    await journal.phase("refusals", "What the clean room refuses", async () => {
      await disallowedField(world);
      await consentOff(world);
    });
    await journal.phase("audit", "Audit trail", () => auditTrail(world));
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
    console.log(`\nerror: ${error}`);
  }
  await journal.phase("stop", "Stopping everything it started", async () => {
    await finish();
    console.log(opts.keep ? `Kept ${workdir}` : `Removed ${workdir}`);
  });
  const report = journal.report(error);
  console.log(journal.summary(report));
  if (opts.report !== undefined) writeFileSync(opts.report, `${JSON.stringify(report, null, 2)}\n`);
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
