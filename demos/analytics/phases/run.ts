// Phase 5: the operator starts the clean room (the local runtime, attesting with the virtual
// platform); woodgrove requests a run and waits for it; the clean room obtains the keys from
// governance, decrypts both inputs in memory, runs the approved SQL, drops small groups and writes
// the output encrypted for woodgrove, who downloads and decrypts it. The demo then compares it with
// the answer computed in plain code over the generated data.
import { join } from "node:path";
import type { Run } from "../../../client/governance/index.js";
import type { DemoData } from "../data.js";
import { expectedOverlap } from "../data.js";
import { count } from "../journal.js";
import { ensureStopped } from "../processes.js";
import { MIN_GROUP_SIZE } from "../queries.js";
import { compareOverlap, formatOverlap, readOverlap } from "../result.js";
import { CONTRACT, type World } from "../world.js";
import { AUDIENCE, CUSTOMERS, OUTPUT } from "./data.js";

/** Starts the clean room for the contract; it is stopped at the end of the demo. */
export async function startCleanRoom(world: World, measurement: string): Promise<void> {
  const { journal, operator } = world;
  const started = await journal.step(
    "operator",
    `runtime start --contract ${CONTRACT} (the local clean room, virtual attestation)`,
    () =>
      operator.json<{ pid: number; measurement: string; allowedByPolicy: boolean | null }>([
        "runtime",
        "start",
        "--contract",
        CONTRACT,
        "--poll-ms",
        "200",
      ]),
    (r) => `pid ${r.pid}`,
  );
  world.onCleanup("operator", `runtime stop --contract ${CONTRACT}`, async () => {
    await operator.run(["runtime", "stop", "--contract", CONTRACT]);
    await ensureStopped(started.pid);
  });
  journal.check(
    "clean room",
    started.measurement === measurement && started.allowedByPolicy === true,
    `its measurement is the one the contract allows (${measurement.slice(0, 12)}…)`,
  );
}

/** Runs the overlap query, fetches its output and checks it against the expected answer. */
export async function runOverlap(world: World, data: DemoData): Promise<void> {
  const { journal, woodgrove, northwind } = world;
  const done = await journal.step(
    "woodgrove",
    "run start overlap --wait",
    () =>
      woodgrove.json<{ runId: string; run: Run }>([
        "run",
        "start",
        CONTRACT,
        "overlap",
        "--wait",
        "--timeout",
        "120",
      ]),
    (r) => `run ${r.runId} ${r.run.state}`,
  );
  const counts = done.run.result?.rowCounts ?? {};
  const [audience, customers] = [counts[`input:${AUDIENCE}`], counts[`input:${CUSTOMERS}`]];
  journal.check(
    "run inputs",
    audience === data.audience.length && customers === data.customers.length,
    `the clean room loaded ${count(audience ?? 0)} audience and ${count(customers ?? 0)} customer rows`,
  );
  const out = join(world.folder("woodgrove"), "results", "overlap.csv");
  const fetched = await journal.step(
    "woodgrove",
    `run output ${done.runId} --out results/overlap.csv`,
    () =>
      woodgrove.json<{ objects: { path: string }[] }>([
        "run",
        "output",
        CONTRACT,
        done.runId,
        "--out",
        out,
      ]),
    () => "statement and digest verified, decrypted",
  );
  const actual = fetched.objects.flatMap((o) => readOverlap(o.path));
  journal.show(formatOverlap(actual));
  const expected = expectedOverlap(data, MIN_GROUP_SIZE);
  const problems = compareOverlap(actual, expected);
  const dropped =
    expected.dropped.length === 0
      ? `no segment has fewer than ${MIN_GROUP_SIZE} people`
      : `${expected.dropped.map((d) => `${d.segment} (${d.customers} people)`).join(", ")} ` +
        `left out: fewer than ${MIN_GROUP_SIZE}`;
  journal.check(
    "output",
    problems.length === 0 && counts["output"] === actual.length,
    problems.length === 0
      ? `${actual.length} segments match the plain computation over the generated data; ${dropped}`
      : problems.join("; "),
  );
  const statement = await journal.step(
    "northwind",
    `run statement ${done.runId}`,
    () =>
      northwind.json<{ verified: boolean; statement: { outputDigests: { sha256: string }[] } }>([
        "run",
        "statement",
        CONTRACT,
        done.runId,
      ]),
    (s) => (s.verified ? "signature verified" : "NOT verified"),
  );
  const digest = done.run.result?.outputDigests.find((d) => d.datasetId === OUTPUT)?.sha256;
  journal.check(
    "statement",
    statement.verified && statement.statement.outputDigests.some((d) => d.sha256 === digest),
    "governance signed the run's output digest; northwind verified it",
  );
}
