/**
 * The governance app on the sandbox, durable (workspace on disk, a write answered after its
 * fdatasync): audit-event appends/s, OIDC token issuances/s, key releases/s, query ballots/s,
 * and the latency of a page of the events list at 100, 10,000 and 100,000 events — which must
 * stay flat.
 *
 * - Appends, tokens and key releases: 32 concurrent keep-alive clients in a separate process
 *   (bench/load.ts), after a warm-up. The runtime's signed requests carry no nonce, so one signed
 *   body serves every request of a run.
 * - Ballots: each is a first vote on its own query version, so they are made in this process
 *   (32 at a time, over a fixed set of fresh queries).
 * - Events are appended through the app's own `recordEvent` by a benchmark-only endpoint added
 *   to a copy of the bundle (test/governance/event-producer.ts): one event per request for the
 *   append rate, 2,000 per transaction to grow a trail fast.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/governance.js [--seconds 10] [--pages 200]
 *   (GOVERNANCE_BUILD=<dir> selects a governance build other than governance/build)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { startSandbox, type Sandbox } from "../sandbox/index.js";
import { Client, type Identity } from "../test/support/client.js";
import { idOf } from "../test/support/gov.js";
import {
  bundleWithEventProducer,
  governanceConstitution,
} from "../test/governance/event-producer.js";
import {
  MEASUREMENT,
  claimedRun,
  kekOf,
  proposeQuery,
  publishQuery,
  signed,
  type Call,
} from "../test/governance/run-fixture.js";
import { forkLoad } from "./fork-load.js";
import type { LoadResult } from "./load.js";
import { machine, percentile, printFigures, saveFigures, type Figure } from "./results.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg("--seconds", 10);
const PAGES = arg("--pages", 200);
const BALLOTS = arg("--ballots", 2000);
const TX_HEADER = "x-ms-ccf-transaction-id";
const CONTRACT = "bench";
const TRAIL = "bench-trail";
const SIZES = [100, 10_000, 100_000];
const BATCH = 2000;
const PAGE_LIMIT = 100;
const AUDIENCE = "api://AzureADTokenExchange";

function fig(name: string, value: number, unit: string, better: "higher" | "lower"): Figure {
  return { name, value, unit, target: null, better };
}

interface Bench {
  sandbox: Sandbox;
  client: Client;
  member: Identity;
  user: Identity;
  call: Call;
}

/** 32 clients PUTting `body` to `path` for SECONDS, as `as` (a workspace identity's name). */
async function measure(
  b: Bench,
  label: string,
  path: string,
  body: string,
  as = "member0",
): Promise<LoadResult> {
  const ws = b.sandbox.workspace;
  const result = await forkLoad({
    url: b.sandbox.url,
    method: "POST",
    path,
    keys: 1,
    body,
    concurrency: 32,
    warmupMs: 2000,
    durationMs: SECONDS * 1000,
    caPath: join(ws, "service_cert.pem"),
    certPath: join(ws, `${as}_cert.pem`),
    keyPath: join(ws, `${as}_privk.pem`),
  });
  if (result.errors > 0) throw new Error(`${result.errors} of the ${label} requests failed`);
  return result;
}

async function acceptContract(b: Bench, contractId: string, document: object): Promise<void> {
  const draft = await b.call(b.member, `/app/contracts/${contractId}`, {
    method: "PUT",
    body: { document },
  });
  if (draft.status !== 201) throw new Error(`draft failed: ${draft.status} ${draft.text}`);
  await b.sandbox.applyActions([
    {
      name: "set_contract",
      args: { contractId, version: String(draft.headers[TX_HEADER]), document },
    },
  ]);
}

function contractDocument(userId: string): object {
  return {
    participants: [{ id: userId, kind: "user", name: "bench" }],
    policy: { measurements: [MEASUREMENT], allowVirtual: true },
    consentDefaults: { execution: true, logging: true, telemetry: true },
    tokenPolicy: { audiences: [AUDIENCE], maxLifetimeSeconds: 600 },
  };
}

async function enableIssuer(b: Bench): Promise<void> {
  await b.sandbox.applyActions([
    { name: "enable_oidc_issuer", args: { issuerUrl: "https://issuer.example.com/bench" } },
  ]);
  const key = await b.call(b.member, "/app/oidc/signing-keys", { method: "POST" });
  if (key.status !== 201) throw new Error(`signing key failed: ${key.status} ${key.text}`);
}

/** Ballots/s: the user approves BALLOTS fresh query versions, 32 at a time. */
async function ballots(b: Bench): Promise<{ perSecond: number; p50: number }> {
  const ids = Array.from({ length: BALLOTS }, (_, i) => `qb${i}`);
  await inParallel(ids, (id) => proposeQuery(b.call, b.user, CONTRACT, id));
  const latencies: number[] = [];
  const t0 = performance.now();
  await inParallel(ids, async (id) => {
    const start = performance.now();
    const reply = await b.call(b.user, `/app/contracts/${CONTRACT}/queries/${id}/approve`, {
      body: { version: "1" },
    });
    if (reply.status !== 200) throw new Error(`ballot failed: ${reply.status} ${reply.text}`);
    latencies.push(performance.now() - start);
  });
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((x, y) => x - y);
  return { perSecond: ids.length / seconds, p50: percentile(latencies, 50) };
}

async function inParallel<T>(items: T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

async function appendBatch(b: Bench, count: number, scope: string): Promise<string> {
  const reply = await b.call(b.member, "/app/test/events", {
    body: { contractId: TRAIL, scope, count },
  });
  if (reply.status !== 200) throw new Error(`append failed: ${reply.status} ${reply.text}`);
  return String(reply.headers[TX_HEADER]);
}

/** p50/p99 latency of PAGES sequential page reads (after 20 to warm up). */
async function pageLatency(b: Bench, path: () => string): Promise<{ p50: number; p99: number }> {
  const latencies: number[] = [];
  for (let i = 0; i < PAGES + 20; i++) {
    const url = path();
    const t0 = performance.now();
    const reply = await b.call(b.member, url);
    const t1 = performance.now();
    if (reply.status !== 200) throw new Error(`page failed: ${reply.status} ${reply.text}`);
    if (reply.json<{ value: unknown[] }>().value.length === 0) throw new Error(`empty: ${url}`);
    if (i >= 20) latencies.push(t1 - t0);
  }
  latencies.sort((x, y) => x - y);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Grows the trail to each size and measures a page there, plain and from a seqno. */
async function pages(b: Bench, figures: Figure[]): Promise<void> {
  let length = 0;
  let batchMs = 0;
  let batches = 0;
  /** The seqnos of the transactions that appended `alpha` batches. */
  const seqnos: number[] = [];
  const random = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
  for (const size of SIZES) {
    while (length < size) {
      const count = Math.min(BATCH, size - length);
      const t0 = performance.now();
      const scope = batches++ % 2 === 0 ? "alpha" : "beta";
      const txid = await appendBatch(b, count, scope);
      batchMs += performance.now() - t0;
      if (scope === "alpha") seqnos.push(Number(txid.split(".")[1]));
      length += count;
    }
    const base = `/app/contracts/${TRAIL}/events`;
    const plain = await pageLatency(b, () => {
      const start = Math.floor(Math.random() * Math.max(1, length - PAGE_LIMIT));
      return `${base}?start=${start}&limit=${PAGE_LIMIT}`;
    });
    // From a seqno, in one scope: a binary search over that scope's positions, then the page.
    const ranged = await pageLatency(
      b,
      () => `${base}?scope=alpha&from_seqno=${random(seqnos)}&limit=${PAGE_LIMIT}`,
    );
    console.log(
      `${size.toLocaleString("en")} events: page p50 ${plain.p50.toFixed(2)} ms, ` +
        `scope + from_seqno page p50 ${ranged.p50.toFixed(2)} ms`,
    );
    figures.push(
      fig(`governance.events.page.p50.at-${size}`, plain.p50, "ms", "lower"),
      fig(`governance.events.page.p99.at-${size}`, plain.p99, "ms", "lower"),
      fig(`governance.events.page-from-seqno.p50.at-${size}`, ranged.p50, "ms", "lower"),
    );
  }
  figures.push(
    fig("governance.events.append.batched", (length / batchMs) * 1000, "events/s", "higher"),
  );
}

async function main(): Promise<void> {
  console.log(`Machine: ${machine()}`);
  const dir = mkdtempSync(join(tmpdir(), "governance-bench-"));
  const bundle = bundleWithEventProducer();
  const sandbox = await startSandbox({
    bundle,
    constitution: [governanceConstitution()],
    workspace: join(dir, "ws"),
    users: 1,
  });
  const client = new Client(sandbox.url, sandbox.serviceCertPem);
  const b: Bench = {
    sandbox,
    client,
    member: Client.identity(sandbox.workspace, "member0"),
    user: Client.identity(sandbox.workspace, "user0"),
    call: (as, path, options = {}) => client.request(path, { ...options, as }),
  };
  const figures: Figure[] = [];
  try {
    const kek = await kekOf(b.call, b.member);
    await acceptContract(b, CONTRACT, contractDocument(idOf(b.user.cert)));
    await acceptContract(b, TRAIL, contractDocument(idOf(b.user.cert)));
    await enableIssuer(b);
    await publishQuery(b.call, b.user, CONTRACT, kek);
    const run = await claimedRun(b.call, b.user, CONTRACT);
    const { contractId, runId } = run;

    const appends = await measure(
      b,
      "append",
      "/app/test/events",
      JSON.stringify({ contractId: "bench-appends", scope: "runtime", count: 1 }),
    );
    const tokenBody = signed(run, { contractId, runId, purpose: "token", audience: AUDIENCE });
    const tokens = await measure(
      b,
      "token",
      `/app/contracts/${contractId}/oidc/token`,
      JSON.stringify(tokenBody),
    );
    const keyBody = signed(run, { contractId, runId, purpose: "key", datasetId: "in" });
    const releases = await measure(
      b,
      "key release",
      `/app/contracts/${contractId}/runs/${runId}/keys/in`,
      JSON.stringify(keyBody),
    );
    const votes = await ballots(b);
    figures.push(
      fig("governance.events.append.throughput", appends.perSecond, "events/s", "higher"),
      fig("governance.events.append.latency.p50", appends.p50Ms, "ms", "lower"),
      fig("governance.oidc.token.throughput", tokens.perSecond, "tokens/s", "higher"),
      fig("governance.oidc.token.latency.p50", tokens.p50Ms, "ms", "lower"),
      fig("governance.keys.release.throughput", releases.perSecond, "releases/s", "higher"),
      fig("governance.keys.release.latency.p50", releases.p50Ms, "ms", "lower"),
      fig("governance.queries.ballot.throughput", votes.perSecond, "ballots/s", "higher"),
      fig("governance.queries.ballot.latency.p50", votes.p50, "ms", "lower"),
    );
    await pages(b, figures);
  } finally {
    client.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dirname(bundle), { recursive: true, force: true });
  }
  printFigures(figures);
  console.log(`Saved ${saveFigures("governance", figures)}`);
}

await main();
