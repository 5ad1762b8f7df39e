/**
 * The clean room end to end with the real runtime: every persona a separate CLI process against
 * a real sandbox serving the governance app. The operator starts the clean room
 * (`runtime start`, a detached agent process) and sees it (`runtime status|logs`); the contract's
 * policy names the runtime's measurement (`contract policy verify` agrees); northwind and
 * woodgrove encrypt, upload and publish small CSV datasets to local folders, woodgrove a sink;
 * both approve a query; `run start --wait` completes; `run output` yields the expected CSV after
 * checking the signed statement, and refuses a replaced output object; `run logs` tells the story;
 * `runtime stop` leaves nothing running.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditEvent, Run } from "../../client/governance/index.js";
import { encryptFile, generateDek } from "../../client/format/index.js";
import { ProfileStore } from "../../cli/profile/store.js";
import { RUNTIME_NODE_FLAGS } from "../../runtime/node-flags.js";
import type { Identity } from "../support/client.js";
import { acceptContract, startConsortium, type Consortium } from "../governance/consortium.js";
import { CliHome, errorLines, pidAlive } from "./run.js";

const CONTRACT = "collab";

const AUDIENCE = [
  "customer_key,segment,email",
  "k1,sports,a@example.com",
  "k2,sports,b@example.com",
  "k3,travel,c@example.com",
  "k4,travel,d@example.com",
  "k5,food,e@example.com",
  "",
].join("\n");
const CUSTOMERS = ["customer_key,region", "k1,north", "k2,south", "k3,east", "k9,west", ""].join(
  "\n",
);

describe("cleanroom runtime, run output and policy verify (the real clean room)", function () {
  this.timeout(180_000);
  let c: Consortium;
  let cli: CliHome;
  let data: string;
  let measurement: string;
  let pid: number;
  let runId: string;

  const as = (profile: string, args: string[]) => [...args, "--profile", profile];
  const json = <T = Record<string, unknown>>(profile: string, args: string[]) =>
    cli.json<T>(as(profile, args));
  const text = async (profile: string, args: string[]) => {
    const result = await cli.run(as(profile, args));
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };

  before(async () => {
    c = await startConsortium({ users: 2 });
    cli = new CliHome();
    data = join(cli.home, "data");
    const store = new ProfileStore(cli.home);
    const [northwind, woodgrove] = c.users as [Identity, Identity];
    for (const [name, identity, kind] of [
      ["operator", c.members[0]!, "member"],
      ["northwind", northwind, "user"],
      ["woodgrove", woodgrove, "user"],
    ] as const) {
      await store.create(name, {
        kind,
        endpoint: c.sandbox.url,
        serviceCertPem: c.sandbox.serviceCertPem,
        identity: { certPem: identity.cert, privateKeyPem: identity.key },
      });
    }
  });

  after(async () => {
    // Never leave the clean room running, whatever failed.
    if (pid !== undefined && pidAlive(pid)) process.kill(pid, "SIGKILL");
    await c?.stop();
    cli?.remove();
  });

  it("the operator starts the clean room; status shows it running with its measurement", async function () {
    const started = await json<{
      pid: number;
      measurement: string;
      started: boolean;
      allowedByPolicy: boolean | null;
      workspace: string;
    }>("operator", ["runtime", "start", "--contract", CONTRACT, "--poll-ms", "100"]);
    ({ pid, measurement } = started);
    assert.equal(started.started, true);
    assert.match(measurement, /^[0-9a-f]{96}$/);
    assert.ok(pidAlive(pid), "the agent runs");
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    for (const flag of RUNTIME_NODE_FLAGS)
      assert.ok(argv.includes(flag), `node runs it with ${flag}`);
    assert.equal(started.allowedByPolicy, null, "no contract yet");
    assert.ok(started.workspace.startsWith(join(cli.home, "profiles", "operator")));
    // Again: it is shown, not started twice.
    const again = await json<{ pid: number; started: boolean }>("operator", [
      "runtime",
      "start",
      "--contract",
      CONTRACT,
    ]);
    assert.deepEqual([again.started, again.pid], [false, pid]);

    // The contract, accepted by the members, names that measurement.
    await acceptContract(
      c,
      CONTRACT,
      [
        { identity: c.users[0]!, name: "northwind" },
        { identity: c.users[1]!, name: "woodgrove" },
      ],
      { measurements: [measurement], allowVirtual: true },
    );
    await json("operator", ["key", "create"]);

    const [status] = await json<{ state: string; pid: number; measurement: string }[]>("operator", [
      "runtime",
      "status",
    ]);
    assert.deepEqual(
      [status!.state, status!.pid, status!.measurement],
      ["running", pid, measurement],
    );
    assert.match(
      await text("operator", ["runtime", "status", "--contract", CONTRACT]),
      new RegExp(
        `^Clean room for collab: running \\(pid ${pid}\\)\\n {2}virtual, measurement ${measurement}`,
      ),
    );
  });

  it("contract policy verify recomputes the same measurement; another configuration is refused", async function () {
    const verdict = await json<{ measurement: string; allowed: boolean }>("northwind", [
      "contract",
      "policy",
      "verify",
      CONTRACT,
    ]);
    assert.deepEqual([verdict.measurement, verdict.allowed], [measurement, true]);
    assert.match(
      await text("northwind", ["contract", "policy", "verify", CONTRACT]),
      /<- this build\nAllowed: /,
    );
    const other = await cli.run(
      as("northwind", ["contract", "policy", "verify", CONTRACT, "--threads", "1"]),
    );
    assert.equal(other.code, 1);
    assert.match(other.stdout, /Not allowed: the contract's policy does not list this measurement/);
    assert.match(errorLines(other).error, /does not allow runtime measurement/);
    const nowhere = await cli.run(
      as("northwind", ["contract", "policy", "verify", CONTRACT, "--runtime", data]),
    );
    assert.equal(nowhere.code, 1);
    assert.match(errorLines(nowhere).error, /cannot measure the runtime build/);
  });

  /** Plans, encrypts, uploads and publishes a local-folder dataset. */
  async function dataset(profile: string, id: string, schema: string, csv: string) {
    const folder = join(data, id);
    await json(profile, [
      "dataset",
      "create",
      CONTRACT,
      id,
      "--schema",
      schema,
      "--location",
      `local:${folder}`,
      ...(id === "audience" ? ["--allowed-fields", "customer_key,segment"] : []),
    ]);
    mkdirSync(join(data, "plain"), { recursive: true });
    const plain = join(data, "plain", `${id}.csv`);
    writeFileSync(plain, csv);
    const encrypted = join(data, "plain", `${id}.csv.enc`);
    await json(profile, ["dataset", "encrypt", CONTRACT, id, "--in", plain, "--out", encrypted]);
    await json(profile, ["dataset", "upload", CONTRACT, id, "--in", encrypted]);
    await json(profile, ["dataset", "publish", CONTRACT, id]);
  }

  /** The sink, planned from a YAML document; the clean room makes its (local) folder. */
  async function sink(profile: string, id: string) {
    const folder = join(data, id);
    const file = join(data, `${id}.yaml`);
    writeFileSync(
      file,
      [
        "description: Overlap per segment",
        "schema:",
        "  - { name: segment, type: string }",
        "  - { name: overlap, type: long }",
        "allowedFields: [segment, overlap]",
        `location: { kind: local, path: ${JSON.stringify(folder)} }`,
        "",
      ].join("\n"),
    );
    const mixed = await cli.run(
      as(profile, ["dataset", "create", CONTRACT, id, "--file", file, "--schema", "a:string"]),
    );
    assert.equal(mixed.code, 1);
    assert.match(errorLines(mixed).error, /--file and the document options/);
    const created = await json<{ format: string; allowedFields: string[] }>(profile, [
      "dataset",
      "create",
      CONTRACT,
      id,
      "--file",
      file,
    ]);
    assert.deepEqual([created.format, created.allowedFields], ["csv", ["segment", "overlap"]]);
    await json(profile, ["dataset", "publish", CONTRACT, id]);
  }

  it("owners publish, both approve, and run start --wait completes in the clean room", async function () {
    await dataset(
      "northwind",
      "audience",
      "customer_key:string,segment:string,email:string",
      AUDIENCE,
    );
    await dataset("woodgrove", "customers", "customer_key:string,region:string", CUSTOMERS);
    await sink("woodgrove", "overlap-out");
    const sql = join(data, "overlap.sql");
    writeFileSync(
      sql,
      "SELECT a.segment, COUNT(*) AS overlap FROM audience a JOIN customers c ON a.customer_key = c.customer_key GROUP BY a.segment ORDER BY a.segment\n",
    );
    await json("woodgrove", [
      "query",
      "create",
      CONTRACT,
      "overlap",
      "--sql",
      sql,
      "--input",
      "audience:audience",
      "--input",
      "customers:customers",
      "--output",
      "overlap-out",
    ]);
    await json("woodgrove", ["query", "approve", CONTRACT, "overlap"]);
    await json("northwind", ["query", "approve", CONTRACT, "overlap"]);

    const started = await json<{ runId: string; run: Run }>("woodgrove", [
      "run",
      "start",
      CONTRACT,
      "overlap",
      "--wait",
      "--timeout",
      "120",
    ]);
    runId = started.runId;
    assert.equal(started.run.state, "Completed", JSON.stringify(started.run));
    assert.equal(started.run.claim?.measurement, measurement);
    assert.deepEqual(
      started.run.result?.outputDigests.map((d) => d.object),
      [`runs/${runId}/output.csv`],
    );
  });

  it("run output verifies the statement and the digest, then decrypts the expected CSV", async function () {
    const out = join(data, "result", "overlap.csv");
    const fetched = await json<{ objects: { path: string; sha256: string }[] }>("woodgrove", [
      "run",
      "output",
      CONTRACT,
      runId,
      "--out",
      out,
    ]);
    assert.deepEqual(
      fetched.objects.map((o) => o.path),
      [out],
    );
    assert.equal(readFileSync(out, "utf8"), "segment,overlap\r\nsports,2\r\ntravel,1\r\n");
    // Only the output's owner holds its key.
    const stranger = await cli.run(
      as("northwind", ["run", "output", CONTRACT, runId, "--out", join(data, "nw.csv")]),
    );
    assert.equal(stranger.code, 1);
    assert.match(errorLines(stranger).error, /has no key for dataset collab\/overlap-out/);
    assert.match(errorLines(stranger).hint, /only the owner of output dataset overlap-out/);
    assert.ok(!existsSync(join(data, "nw.csv")));
  });

  it("run output refuses an output object replaced after the run, writing nothing", async function () {
    // Someone with write access to the sink replaces the object with another valid ciphertext.
    const object = join(data, "overlap-out", "runs", runId, "output.csv");
    const forged = join(data, "forged.csv");
    writeFileSync(forged, "segment,overlap\r\nsports,999\r\n");
    await encryptFile(generateDek(), forged, object, { binding: `${CONTRACT}/overlap-out` });
    const out = join(data, "result", "forged.csv");
    const refused = await cli.run(
      as("woodgrove", ["run", "output", CONTRACT, runId, "--out", out]),
    );
    assert.equal(refused.code, 1);
    const { error, hint } = errorLines(refused);
    assert.match(error, /does not match the signed statement/);
    assert.match(hint, /changed or replaced after the run/);
    assert.ok(!existsSync(out), "no output file");
    assert.deepEqual(
      readdirSync(join(data, "result")).filter((name) => name.startsWith(".")),
      [],
      "no temporary file left",
    );
  });

  it("run logs tells the run's story: claim, keys, phases with rows, completion", async function () {
    const logs = await json<{ run: Run; events: AuditEvent[] }>("northwind", [
      "run",
      "logs",
      CONTRACT,
      runId,
    ]);
    const types = logs.events.map((e) => e.type);
    assert.deepEqual(types.slice(0, 2), ["run.requested", "run.claimed"]);
    assert.equal(types[types.length - 1], "run.completed");
    assert.equal(types.filter((t) => t === "key.released").length, 3);
    assert.ok(types.includes("run.progress"));
    const out = await text("northwind", ["run", "logs", CONTRACT, runId]);
    assert.match(out, new RegExp(`: Completed\\n`));
    assert.ok(out.includes(`Clean room: virtual, measurement ${measurement}`), out);
    assert.match(out, /key of dataset audience released/);
    assert.match(out, /runtime +phase \w+/);
    assert.match(out, /completed; rows: .*output 2/);
  });

  it("runtime logs shows the agent's side; runtime stop leaves nothing running", async function () {
    const entries = await json<{ event: string; runId?: string }[]>("operator", [
      "runtime",
      "logs",
    ]);
    const events = entries.map((e) => e.event);
    assert.equal(events[0], "agent.started");
    assert.ok(
      entries.some((e) => e.event === "run.completed" && e.runId === runId),
      events.join(),
    );
    const tail = await text("operator", ["runtime", "logs", "--tail", "1"]);
    assert.equal(tail.trimEnd().split("\n").length, 1);
    // No data value ever reaches the log.
    const all = await text("operator", ["runtime", "logs"]);
    for (const secret of ["a@example.com", "sports", "north"]) assert.ok(!all.includes(secret));

    const stopped = await json<{ contractId: string; stopped: number }[]>("operator", [
      "runtime",
      "stop",
    ]);
    assert.deepEqual(stopped, [{ contractId: CONTRACT, stopped: pid, killed: false }]);
    assert.ok(!pidAlive(pid), "the agent is gone");
    const [status] = await json<{ state: string; pid: number | null }[]>("operator", [
      "runtime",
      "status",
    ]);
    assert.deepEqual([status!.state, status!.pid], ["stopped", null]);
    const again = await json<{ stopped: number | null }[]>("operator", ["runtime", "stop"]);
    assert.deepEqual(
      again.map((r) => r.stopped),
      [null],
    );
    const last = await json<{ event: string }[]>("operator", ["runtime", "logs", "--tail", "1"]);
    assert.equal(last[0]!.event, "agent.stopped");
  });

  it("a clean room that died is shown as died; start brings it back", async function () {
    const start = () =>
      json<{ pid: number; started: boolean }>("operator", [
        "runtime",
        "start",
        "--contract",
        CONTRACT,
      ]);
    pid = (await start()).pid;
    process.kill(pid, "SIGKILL");
    while (pidAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    const [died] = await json<{ state: string; pid: number | null }[]>("operator", [
      "runtime",
      "status",
    ]);
    assert.deepEqual([died!.state, died!.pid], ["died", null]);
    assert.match(await text("operator", ["runtime", "status"]), /died \(its process is gone/);
    const restarted = await start();
    assert.equal(restarted.started, true);
    pid = restarted.pid;
    // Following the log ends when the clean room stops, with its last words.
    const following = cli.run(as("operator", ["runtime", "logs", "--follow", "--json"]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopped = await json<{ stopped: number }[]>("operator", ["runtime", "stop"]);
    assert.deepEqual(
      stopped.map((r) => r.stopped),
      [pid],
    );
    assert.ok(!pidAlive(pid));
    const followed = await following;
    assert.equal(followed.code, 0, followed.stderr);
    const lines = followed.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string });
    assert.equal(lines[lines.length - 1]!.event, "agent.stopped");
  });
});
