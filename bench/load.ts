/**
 * Load generator, run as its own process so it does not share a thread with the server:
 * `concurrency` clients, each with its own keep-alive HTTPS connection, send requests back to
 * back for `durationMs` after a warm-up, and report throughput and latency percentiles.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { percentile } from "./results.js";

export interface LoadSpec {
  url: string;
  method: "GET" | "PUT" | "POST";
  /** Path template; `{i}` becomes a key in [0, keys). */
  path: string;
  keys: number;
  body?: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  caPath: string;
  certPath: string;
  keyPath: string;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: spec.concurrency,
    ca: readFileSync(spec.caPath),
    cert: readFileSync(spec.certPath),
    key: readFileSync(spec.keyPath),
  });
  const base = new URL(spec.url);
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  const send = (i: number) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method: spec.method,
          path: spec.path.replace("{i}", String(i % spec.keys)),
          headers: body ? { "content-length": body.length } : {},
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  const start = performance.now();
  const measureFrom = start + spec.warmupMs;
  const stopAt = measureFrom + spec.durationMs;
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  const client = async () => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= stopAt) return;
      const status = await send(counter++).catch(() => 0);
      const t1 = performance.now();
      if (t0 < measureFrom) continue;
      if (status < 200 || status >= 300) errors++;
      latencies.push(t1 - t0);
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, client));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const seconds = spec.durationMs / 1000;
  return {
    requests: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

process.on("message", (spec: LoadSpec) => {
  run(spec).then(
    (result) => process.send!(result, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
