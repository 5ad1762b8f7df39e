/**
 * Sandbox throughput and latency: 32 concurrent keep-alive HTTPS clients (in a separate process)
 * against a small write endpoint and a read endpoint of the fixture app.
 *
 * - "memory": the workspace on tmpfs (/dev/shm), where fdatasync costs nothing: the engine's own
 *   speed, the figure issue 3 targets.
 * - "durable": the workspace on disk; a write is answered only after its fdatasync (group
 *   commit): the figure issue 4 targets.
 * - "fresh": a read endpoint without `interpreter_reuse`, CCF's default, where every request
 *   builds a new interpreter.
 *
 *   npm run build && node dist/bench/sandbox.js [--seconds 10]
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSandbox, type Sandbox } from "../sandbox/index.js";
import { forkLoad } from "./fork-load.js";
import type { LoadResult, LoadSpec } from "./load.js";
import { machine, printFigures, saveFigures, type Figure } from "./results.js";

const FIXTURE = fileURLToPath(new URL("../../test/fixture-app/build", import.meta.url));
const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 10;
const VALUE = "a small value of 32 bytes, ok...";

async function withSandbox<T>(parent: string, run: (s: Sandbox) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(parent, "cleanroom-bench-"));
  const sandbox = await startSandbox({ bundle: FIXTURE, workspace: join(dir, "ws") });
  try {
    return await run(sandbox);
  } finally {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function spec(sandbox: Sandbox, method: "GET" | "PUT", path: string): LoadSpec {
  const ws = sandbox.workspace;
  return {
    url: sandbox.url,
    method,
    path,
    keys: 1000,
    body: method === "PUT" ? VALUE : undefined,
    concurrency: 32,
    warmupMs: 2000,
    durationMs: seconds * 1000,
    caPath: join(ws, "service_cert.pem"),
    certPath: join(ws, "user0_cert.pem"),
    keyPath: join(ws, "user0_privk.pem"),
  };
}

function checked(label: string, result: LoadResult): LoadResult {
  if (result.errors > 0) throw new Error(`${result.errors} of the ${label} requests failed`);
  return result;
}

function figures(prefix: string, r: LoadResult, target: number | null): Figure[] {
  return [
    { name: `${prefix}.throughput`, value: r.perSecond, unit: "req/s", target, better: "higher" },
    { name: `${prefix}.latency.p50`, value: r.p50Ms, unit: "ms", target: null, better: "lower" },
    { name: `${prefix}.latency.p99`, value: r.p99Ms, unit: "ms", target: null, better: "lower" },
  ];
}

async function main(): Promise<void> {
  console.log(`Machine: ${machine()}`);
  const memoryDir = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const results: Figure[] = [];

  await withSandbox(memoryDir, async (sandbox) => {
    const writes = checked("write", await forkLoad(spec(sandbox, "PUT", "/app/bench/{i}")));
    const reads = checked("read", await forkLoad(spec(sandbox, "GET", "/app/bench/{i}")));
    const fresh = checked("fresh", await forkLoad(spec(sandbox, "GET", "/app/route/fixed")));
    results.push(
      ...figures("sandbox.memory.write", writes, 3000),
      ...figures("sandbox.memory.read", reads, 5000),
      ...figures("sandbox.memory.read.fresh-interpreter", fresh, null),
    );
  });

  await withSandbox(tmpdir(), async (sandbox) => {
    const writes = checked("durable write", await forkLoad(spec(sandbox, "PUT", "/app/bench/{i}")));
    results.push(...figures("sandbox.durable.write", writes, 2000));
  });

  printFigures(results);
  console.log(`Saved ${saveFigures("sandbox", results)}`);
}

await main();
