/**
 * `cleanroom status` and `cleanroom run logs` end to end: the CLI as separate processes (operator,
 * northwind, woodgrove) against a real sandbox serving the governance app. The consortium and
 * the contract are set up in-process; the clean room is simulated in-process
 * (test/governance/runtime-sim.ts) so that runs fail and complete on cue. Covers: each persona's
 * to-do list with its commands (a proposal to vote on, a query to approve, datasets to publish
 * and grant, a requested run with no clean room, an output to fetch), what waits on others, and
 * a run's story (record and events), also followed while it happens.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditEvent, Run } from "../../client/governance/index.js";
import { ProfileStore } from "../../cli/profile/store.js";
import type { StatusView } from "../../cli/commands/status/index.js";
import type { Identity } from "../support/client.js";
import { idOf } from "../support/gov.js";
import { acceptContract, startConsortium, type Consortium } from "../governance/consortium.js";
import { HOST, M_VIRT, playRun } from "../governance/runtime-sim.js";
import { CliHome } from "./run.js";

const CONTRACT = "collab";
const S3 = ["--s3-endpoint", "http://127.0.0.1:9"];

describe("cleanroom status and run logs (separate processes, a real sandbox)", function () {
  this.timeout(120_000);
  let c: Consortium;
  let cli: CliHome;
  let northwind: Identity;
  let woodgrove: Identity;

  const as = (profile: string, args: string[]) => [...args, "--profile", profile];
  const json = <T = Record<string, unknown>>(profile: string, args: string[]) =>
    cli.json<T>(as(profile, args));
  const text = async (profile: string, args: string[]) => {
    const result = await cli.run(as(profile, args));
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  const status = (profile: string) => json<StatusView>(profile, ["status"]);
  const commands = (view: StatusView) => view.todo.map((t) => t.command);

  before(async () => {
    c = await startConsortium({ members: 2, users: 2 });
    [northwind, woodgrove] = c.users as [Identity, Identity];
    const operator = c.members[0]!;
    await acceptContract(
      c,
      CONTRACT,
      [
        { identity: operator, name: "operator", kind: "member" },
        { identity: northwind, name: "northwind" },
        { identity: woodgrove, name: "woodgrove" },
      ],
      { measurements: [M_VIRT], hostData: [HOST], allowVirtual: true },
    );
    const kek = await c.call(operator, "/app/keys", { method: "POST", body: {} });
    assert.equal(kek.status, 201, kek.text);

    cli = new CliHome();
    const store = new ProfileStore(cli.home);
    for (const [name, identity, kind] of [
      ["operator", operator, "member"],
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
    // The operator runs this consortium here (as `consortium create` records it).
    store.update("operator", (p) => {
      p.consortium = { url: c.sandbox.url, workspace: c.sandbox.workspace, log: "" };
    });
  });

  after(async () => {
    await c?.stop();
    cli?.remove();
  });

  it("a member with nothing to do is told so in two lines", async function () {
    const view = await status("operator");
    assert.equal(view.kind, "member");
    assert.deepEqual(view.todo, []);
    assert.equal(view.consortium?.memberStatus, "Active");
    assert.deepEqual(
      view.contracts.map((k) => [k.contractId, k.state, k.participant]),
      [[CONTRACT, "Accepted", true]],
    );
    const out = await text("operator", ["status"]);
    assert.match(
      out,
      /^operator: member \(id [0-9a-f]{12}…\) of https:\/\/.* service Open\nNothing to do\.\n$/,
    );
  });

  it("owners are told to publish and grant their datasets, with the commands", async function () {
    const create = (profile: string, datasetId: string, schema: string) =>
      json(profile, [
        "dataset",
        "create",
        CONTRACT,
        datasetId,
        "--schema",
        schema,
        "--location",
        `s3:${datasetId}`,
        ...S3,
      ]);
    await create("northwind", "audience", "customer_key:string,segment:string");
    await create("woodgrove", "customers", "customer_key:string");
    await create("woodgrove", "overlap-out", "segment:string,overlap:integer");
    let view = await status("northwind");
    assert.deepEqual(commands(view), [`cleanroom dataset publish ${CONTRACT} audience`]);
    for (const [profile, id] of [
      ["northwind", "audience"],
      ["woodgrove", "customers"],
      ["woodgrove", "overlap-out"],
    ] as const) {
      await json(profile, ["dataset", "publish", CONTRACT, id]);
    }
    view = await status("northwind");
    assert.deepEqual(commands(view), [
      `cleanroom dataset grant ${CONTRACT} audience --read --expires 12h`,
    ]);
    assert.deepEqual(view.contracts[0]!.datasets, [
      { datasetId: "audience", published: true, needsGrant: true, grants: [] },
    ]);
  });

  it("approvers are told to review and approve; the proposer sees who it waits for", async function () {
    // The query as a YAML document (`query create --file`).
    const file = join(cli.home, "overlap.yaml");
    writeFileSync(
      file,
      [
        "description: Customers in common, per segment",
        "sql:",
        "  - statement: |",
        "      SELECT a.segment, COUNT(*) AS overlap",
        "      FROM audience a JOIN customers c USING (customer_key) GROUP BY a.segment",
        "inputs:",
        "  - { datasetId: audience, view: audience }",
        "  - { datasetId: customers, view: customers }",
        "output: { datasetId: overlap-out }",
        "",
      ].join("\n"),
    );
    const created = await json<{ document: { sql: { statement: string }[] } }>("woodgrove", [
      "query",
      "create",
      CONTRACT,
      "overlap",
      "--file",
      file,
    ]);
    assert.match(
      created.document.sql[0]!.statement,
      /^SELECT a\.segment, COUNT\(\*\) AS overlap\nFROM/,
    );
    await json("woodgrove", ["query", "approve", CONTRACT, "overlap"]);
    const nw = await status("northwind");
    assert.ok(
      commands(nw).includes(
        `cleanroom query review ${CONTRACT} overlap && cleanroom query approve ${CONTRACT} overlap --query-version 1`,
      ),
      commands(nw).join("\n"),
    );
    const wg = await status("woodgrove");
    assert.deepEqual(wg.contracts[0]!.queries, [
      {
        queryId: "overlap",
        version: "1",
        state: "Proposed",
        output: "overlap-out",
        waitingFor: [idOf(northwind.cert)],
        yourVote: "accept",
        youProposed: true,
      },
    ]);
    // The sink's owner grants write access, an input's owner read access.
    assert.ok(
      commands(wg).includes(
        `cleanroom dataset grant ${CONTRACT} overlap-out --write --expires 12h`,
      ),
    );
    assert.ok(
      commands(wg).includes(`cleanroom dataset grant ${CONTRACT} customers --read --expires 12h`),
    );
    const out = await text("woodgrove", ["status"]);
    assert.match(
      out,
      /Waiting on others:\n {2}- collab: query overlap v1 waits for 1 approval\(s\)/,
    );
    assert.match(out, /To do:\n {2}- collab: grant the clean room/);
    await json("northwind", ["query", "approve", CONTRACT, "overlap"]);
    assert.ok(!commands(await status("northwind")).some((cmd) => cmd.includes("query approve")));
  });

  it("a member is told to vote on an open proposal, and sees its open invitations", async function () {
    await json("operator", [
      "contract",
      "create",
      "second",
      "--participant",
      "operator=operator",
      "--measurement",
      "00",
      "--allow-virtual",
    ]);
    const proposed = await json<{ proposalState: string }>("operator", [
      "contract",
      "propose",
      "second",
    ]);
    assert.equal(proposed.proposalState, "Open"); // member1 has not voted
    // An invitation the operator sent (passed by both members), not accepted yet.
    await c.pass([
      {
        name: "invite",
        args: {
          invitationId: "fabrikam",
          role: "user",
          displayName: "Fabrikam",
          expiresAt: Math.floor(Date.now() / 1000) + 3600,
          codeHash: "00".repeat(32),
        },
      },
    ]);
    const view = await status("operator");
    assert.deepEqual(commands(view), [
      "cleanroom contract show second && cleanroom contract vote second --accept",
    ]);
    assert.deepEqual(
      view.consortium?.invitations.map((i) => [i.invitationId, i.status]),
      [["fabrikam", "Open"]],
    );
    const out = await text("operator", ["status"]);
    assert.match(out, /invitation fabrikam \(user Fabrikam\) is open until 20/);
    await json("operator", ["contract", "vote", "second", "--accept"]);
    assert.deepEqual(commands(await status("operator")), []);
    assert.match(
      await text("operator", ["status"]),
      /proposal [0-9a-f]{12}… \(set_contract\): you voted; others have not decided/,
    );
  });

  /** The simulated clean room: claims a run, reports a phase, then completes or fails it. */
  async function cleanRoom(runId: string, outcome: "complete" | "fail"): Promise<void> {
    await playRun(
      c.call,
      CONTRACT,
      runId,
      { phase: "load", rowCounts: { audience: 3 }, durationsMs: { load: 7 } },
      outcome === "complete"
        ? {
            complete: {
              rowCounts: { audience: 3, customers: 5, output: 1 },
              durationsMs: { load: 7, query: 4 },
              outputDigests: [
                {
                  datasetId: "overlap-out",
                  object: `runs/${runId}/output.csv`,
                  sha256: "ab".repeat(32),
                },
              ],
            },
          }
        : { fail: "view audience has 3 rows, fewer than 100" },
    );
  }

  let failed: string;

  it("a requested run with no clean room is the operator's to-do; a failed run shows why", async function () {
    failed = (await json<{ runId: string }>("woodgrove", ["run", "start", CONTRACT, "overlap"]))
      .runId;
    const operator = await status("operator");
    assert.deepEqual(commands(operator), [`cleanroom runtime start --contract ${CONTRACT}`]);
    // Users run no clean room: not theirs to do.
    assert.ok(!commands(await status("woodgrove")).some((cmd) => cmd.includes("runtime")));

    await cleanRoom(failed, "fail");
    const view = await status("northwind");
    assert.deepEqual(
      view.contracts[0]!.runs.map((r) => [r.runId, r.state, r.reason]),
      [[failed, "Failed", "view audience has 3 rows, fewer than 100"]],
    );
    const out = await text("northwind", ["status"]);
    assert.ok(out.includes(`run ${failed} (overlap) Failed since 20`), out);
    assert.ok(out.includes(`\`cleanroom run logs ${CONTRACT} ${failed}\``), out);
    assert.deepEqual(commands(await status("operator")), []);
  });

  it("run logs tells a failed run's story: record, then its events in order", async function () {
    const logs = await json<{ run: Run; events: AuditEvent[] }>("northwind", [
      "run",
      "logs",
      CONTRACT,
      failed,
    ]);
    assert.equal(logs.run.state, "Failed");
    assert.deepEqual(
      logs.events.map((e) => e.type),
      ["run.requested", "run.claimed", "run.progress", "run.failed"],
    );
    assert.ok(logs.events.every((e) => e.details["runId"] === failed));
    const out = await text("northwind", ["run", "logs", CONTRACT, failed]);
    assert.match(out, new RegExp(`^Run ${failed} of query overlap version 1 in collab: Failed\\n`));
    assert.ok(out.includes(`Clean room: virtual, measurement ${M_VIRT}`), out);
    assert.match(out, /Durations: load 7 ms\nRows: {6}audience 3\n/);
    assert.match(out, /Failed: {4}20.*: view audience has 3 rows, fewer than 100\n/);
    assert.match(
      out,
      /Events:\n {2}\d+\.\d+ +governance requested by [0-9a-f]{12}… \(query overlap version 1\)\n/,
    );
    assert.match(out, /runtime +claimed by a virtual clean room, measurement 7676/);
    assert.match(out, /runtime +phase load; rows: audience 3; took: load 7 ms\n/);
    assert.match(out, /runtime +failed: view audience has 3 rows, fewer than 100\n/);
    const unknown = await cli.run(as("northwind", ["run", "logs", CONTRACT, "999"]));
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /hint: list the contract's runs with `cleanroom run list collab`|hint: list the contract's runs/,
    );
  });

  it("run logs --follow prints events as they happen until the run completes", async function () {
    const runId = (
      await json<{ runId: string }>("woodgrove", ["run", "start", CONTRACT, "overlap"])
    ).runId;
    const following = cli.run(as("woodgrove", ["run", "logs", CONTRACT, runId, "--follow"]));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await cleanRoom(runId, "complete");
    const result = await following;
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split("\n");
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    const order = [
      /requested by/,
      /claimed by a virtual/,
      /phase load/,
      /completed; rows: audience 3, customers 5, output 1/,
      /: Completed$/,
    ];
    const positions = order.map(at);
    assert.ok(
      positions.every((p) => p >= 0),
      result.stdout,
    );
    assert.deepEqual(
      [...positions].sort((a, b) => a - b),
      positions,
      result.stdout,
    );
    assert.match(
      result.stdout,
      new RegExp(`Output: {4}overlap-out/runs/${runId}/output.csv sha256 (ab){32}`),
    );

    // The sink's owner is told to fetch the output.
    assert.ok(
      commands(await status("woodgrove")).includes(
        `cleanroom run output ${CONTRACT} ${runId} --out overlap-${runId}.csv`,
      ),
    );
  });
});
