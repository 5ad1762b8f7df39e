/**
 * Sandbox throughput and latency: 32 concurrent keep-alive HTTPS clients against a small write
 * endpoint and a read endpoint of the conformance fixture app (in-memory).
 *
 *   npm run build && node dist/bench/sandbox.js [--seconds 10]
 */
import { fork } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSandbox } from "../sandbox/index.js";
import type { LoadResult, LoadSpec } from "./load.js";
import { machine, printFigures, saveFigures, type Figure } from "./results.js";

const FIXTURE = fileURLToPath(new URL("../../test/fixture-app/build", import.meta.url));
const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 10;

function load(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL("./load.js", import.meta.url)), { stdio: "inherit" });
    child.once("message", (result: LoadResult) => resolve(result));
    child.once("exit", (code) =>
      code === 0 ? undefined : reject(new Error(`load generator exited with ${code}`)),
    );
    child.send(spec);
  });
}

async function main(): Promise<void> {
  console.log(`Machine: ${machine()}`);
  const sandbox = await startSandbox({ bundle: FIXTURE, users: 1 });
  try {
    const ws = sandbox.workspace;
    const common = {
      url: sandbox.url,
      keys: 1000,
      concurrency: 32,
      warmupMs: 2000,
      durationMs: seconds * 1000,
      caPath: join(ws, "service_cert.pem"),
      certPath: join(ws, "user0_cert.pem"),
      keyPath: join(ws, "user0_privk.pem"),
    };
    const writes = await load({
      ...common,
      method: "PUT",
      path: "/app/bench/{i}",
      body: "a small value of 32 bytes, ok...",
    });
    const reads = await load({ ...common, method: "GET", path: "/app/bench/{i}" });
    for (const [label, r] of [
      ["writes", writes],
      ["reads", reads],
    ] as const) {
      if (r.errors > 0) throw new Error(`${r.errors} of the ${label} failed`);
    }
    const figures: Figure[] = [
      {
        name: "sandbox.write.throughput",
        value: writes.perSecond,
        unit: "req/s",
        target: 3000,
        better: "higher",
      },
      {
        name: "sandbox.write.latency.p50",
        value: writes.p50Ms,
        unit: "ms",
        target: null,
        better: "lower",
      },
      {
        name: "sandbox.write.latency.p99",
        value: writes.p99Ms,
        unit: "ms",
        target: null,
        better: "lower",
      },
      {
        name: "sandbox.read.throughput",
        value: reads.perSecond,
        unit: "req/s",
        target: 5000,
        better: "higher",
      },
      {
        name: "sandbox.read.latency.p50",
        value: reads.p50Ms,
        unit: "ms",
        target: null,
        better: "lower",
      },
      {
        name: "sandbox.read.latency.p99",
        value: reads.p99Ms,
        unit: "ms",
        target: null,
        better: "lower",
      },
    ];
    printFigures(figures);
    console.log(`Saved ${saveFigures("sandbox", figures)}`);
  } finally {
    await sandbox.stop();
  }
}

await main();
