/**
 * `cleanroom query|consent|run|audit …` end to end: the CLI as separate processes, as northwind
 * and woodgrove, against a real sandbox serving the governance app. The consortium, the contract
 * (virtual attestation allowed), a KEK and the published datasets are set up in-process; the
 * clean room is simulated in-process (test/governance/runtime-sim.ts) since the runtime is not
 * here yet. Covers: create → review → approve (both) → run start → the simulated clean room
 * completes it → run status → run statement verified; a run that fails under --wait; consent off
 * → runnable says why and run start is refused; audit events (and --follow); audit verify proves
 * every receipt, and a tampered receipt or statement fails.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { constants, publicEncrypt, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DatasetDocument } from "../../contracts/src/dataset.js";
import type { Run, RunStatement, StatementKey } from "../../client/governance/index.js";
import { fetchReceipt, ReceiptError, verifyReceipt } from "../../client/receipts.js";
import { verifyRunStatement } from "../../client/statements.js";
import { runAuditVerify } from "../../cli/commands/audit/verify.js";
import { createContext } from "../../cli/context.js";
import { UserError } from "../../cli/errors.js";
import { ProfileStore } from "../../cli/profile/store.js";
import type { Identity } from "../support/client.js";
import { CLI } from "../support/cli.js";
import { idOf } from "../support/gov.js";
import { acceptContract, startConsortium, type Consortium } from "../governance/consortium.js";
import { HOST, M_VIRT, playRun } from "../governance/runtime-sim.js";
import { CliHome, errorLines } from "./run.js";

const CONTRACT = "collab";
const base = `/app/contracts/${CONTRACT}`;
const SQL = [
  "--- joined",
  "SELECT a.segment FROM audience a JOIN customers c ON a.customer_key = c.customer_key",
  "---",
  "SELECT segment, COUNT(*) AS overlap FROM joined GROUP BY segment",
  "",
].join("\n");

describe("cleanroom query, consent, run and audit (separate processes, a real sandbox)", function () {
  this.timeout(180_000);
  let c: Consortium;
  let cli: CliHome;
  let northwind: Identity;
  let woodgrove: Identity;
  let sqlFile: string;

  const as = (profile: string, args: string[]) => [...args, "--profile", profile];
  const nw = <T = Record<string, unknown>>(args: string[]) => cli.json<T>(as("northwind", args));
  const wg = <T = Record<string, unknown>>(args: string[]) => cli.json<T>(as("woodgrove", args));
  const text = async (profile: string, args: string[]) => {
    const result = await cli.run(as(profile, args));
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  const fails = async (profile: string, args: string[]) => {
    const result = await cli.run(as(profile, args));
    assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
    return errorLines(result);
  };

  before(async () => {
    c = await startConsortium({ users: 2 });
    [northwind, woodgrove] = c.users as [Identity, Identity];
    await acceptContract(
      c,
      CONTRACT,
      [
        { identity: northwind, name: "northwind" },
        { identity: woodgrove, name: "woodgrove" },
      ],
      { measurements: [M_VIRT], hostData: [HOST], allowVirtual: true },
    );
    const kekReply = await c.call(c.members[0], "/app/keys", { method: "POST", body: {} });
    assert.equal(kekReply.status, 201, kekReply.text);
    const kek = kekReply.json<{ kekId: string; publicKeyPem: string }>();
    const publish = async (owner: Identity, datasetId: string, bucket: string) => {
      const document: DatasetDocument = {
        schema: [
          { name: "customer_key", type: "string" },
          { name: "segment", type: "string" },
          { name: "email", type: "string" },
        ],
        allowedFields: ["customer_key", "segment"],
        location: { kind: "s3", bucket } as DatasetDocument["location"],
        format: "csv",
        encryption: {
          kekId: kek.kekId,
          wrappedDek: publicEncrypt(
            {
              key: kek.publicKeyPem,
              padding: constants.RSA_PKCS1_OAEP_PADDING,
              oaepHash: "sha256",
            },
            randomBytes(32),
          ).toString("base64"),
        },
      };
      const reply = await c.call(owner, `${base}/datasets/${datasetId}`, {
        method: "PUT",
        body: { document },
      });
      assert.equal(reply.status, 201, reply.text);
    };
    await publish(northwind, "northwind-audience", "northwind-in");
    await publish(woodgrove, "woodgrove-customers", "woodgrove-in");
    await publish(woodgrove, "woodgrove-output", "woodgrove-out");

    cli = new CliHome();
    for (const [name, identity] of [
      ["northwind", northwind],
      ["woodgrove", woodgrove],
    ] as const) {
      await cli.addUser(name, c.sandbox, identity);
    }
    sqlFile = join(cli.home, "overlap.sql");
    writeFileSync(sqlFile, SQL);
  });

  after(async () => {
    await c?.stop();
    cli?.remove();
  });

  /** The simulated clean room: claims a Requested run, then completes or fails it. */
  async function cleanRoom(runId: string, outcome: "complete" | "fail"): Promise<string> {
    const digest = randomBytes(32).toString("hex");
    await playRun(
      c.call,
      CONTRACT,
      runId,
      { phase: "query" },
      outcome === "complete"
        ? {
            complete: {
              rowCounts: { audience: 1000, customers: 800, output: 12 },
              durationsMs: { query: 40 },
              outputDigests: [
                { datasetId: "woodgrove-output", object: "part-0.csv", sha256: digest },
              ],
            },
          }
        : { fail: "view audience has 3 rows, fewer than 100" },
    );
    return digest;
  }

  /** Waits until the contract has a run in state Requested that is not in `known`, and returns it. */
  async function nextRequested(known: Set<string>): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const reply = await c.call(northwind, `${base}/runs`);
      const runs = reply.json<{ value: Run[] }>().value;
      const run = runs.find((r) => r.state === "Requested" && !known.has(r.runId));
      if (run) return run.runId;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("no run was requested");
  }

  let firstRun: string;
  let firstDigest: string;

  it("woodgrove creates the query; both owners are its approvers", async function () {
    const created = await wg<{ version: string; state: string; approvers: string[] }>([
      "query",
      "create",
      CONTRACT,
      "overlap",
      "--sql",
      sqlFile,
      "--input",
      "northwind-audience:audience",
      "--input",
      "woodgrove-customers:customers",
      "--output",
      "woodgrove-output",
      "--min-group-size",
      "10",
      "--min-rows",
      "100",
    ]);
    assert.equal(created.version, "1");
    assert.equal(created.state, "Proposed");
    assert.deepEqual(
      new Set(created.approvers),
      new Set([idOf(northwind.cert), idOf(woodgrove.cert)]),
    );

    // Mistakes are one line and a hint, and nothing is proposed.
    const bad = await fails("woodgrove", [
      "query",
      "create",
      CONTRACT,
      "bad",
      "--sql",
      sqlFile,
      "--input",
      "northwind-audience",
      "--output",
      "woodgrove-output",
    ]);
    assert.match(bad.error, /--input 'northwind-audience' is not datasetId:view/);
    const again = await fails("woodgrove", [
      "query",
      "create",
      CONTRACT,
      "overlap",
      "--sql",
      sqlFile,
      "--input",
      "northwind-audience:audience",
      "--output",
      "woodgrove-output",
    ]);
    assert.match(again.error, /VersionRequired/);
    assert.match(again.hint, /query propose/);
    const listed = await nw<{ queryId: string }[]>(["query", "list", CONTRACT]);
    assert.deepEqual(
      listed.map((q) => q.queryId),
      ["overlap"],
    );
  });

  it("review renders the SQL, inputs, allowed fields, output, thresholds, policy and votes", async function () {
    const out = await text("northwind", ["query", "review", CONTRACT, "overlap"]);
    assert.match(out, /Query overlap, version 1, in contract collab: Proposed/);
    assert.ok(out.includes("JOIN customers c ON a.customer_key = c.customer_key"), out);
    assert.ok(out.includes("SELECT segment, COUNT(*) AS overlap FROM joined GROUP BY segment"));
    assert.match(out, /SQL \(2 statements/);
    assert.match(out, /northwind-audience as view audience, revision 1, owner northwind/);
    assert.match(out, /woodgrove-customers as view customers/);
    assert.match(out, /allowed fields: customer_key, segment\n/);
    assert.match(out, /schema: customer_key string, segment string, email string/);
    assert.match(out, /Output:\n {2}woodgrove-output, revision 1, owner woodgrove/);
    assert.match(out, /min group size 10/);
    assert.match(out, /at least 100 rows/);
    assert.ok(out.includes(M_VIRT), "names the allowed measurement");
    assert.match(out, new RegExp(`host data: ${HOST}`));
    assert.match(out, /virtual attestation: allowed \(insecure/);
    assert.match(out, /Votes \(0 of 2 accepted\)/);
    assert.match(out, /northwind \([0-9a-f]{64}\): not voted/);

    const review = await nw<{
      datasets: { datasetId: string; allowedFields: string[] }[];
      policy: { measurements: string[] };
    }>(["query", "review", CONTRACT, "overlap", "--query-version", "1"]);
    assert.deepEqual(
      review.datasets.map((d) => d.datasetId),
      ["northwind-audience", "woodgrove-customers", "woodgrove-output"],
    );
    assert.deepEqual(review.policy.measurements, [M_VIRT]);
  });

  it("both approve; it is Accepted and runnable", async function () {
    const first = await wg<{ state: string }>(["query", "approve", CONTRACT, "overlap"]);
    assert.equal(first.state, "Proposed");
    const second = await nw<{ state: string; ballots: Record<string, { runQuota?: number }> }>([
      "query",
      "approve",
      CONTRACT,
      "overlap",
      "--query-version",
      "1",
      "--expires",
      "7d",
      "--runs",
      "5",
    ]);
    assert.equal(second.state, "Accepted");
    assert.equal(second.ballots[idOf(northwind.cert)]!.runQuota, 5);
    const shown = await nw<{ runnable: { runnable: boolean } }>([
      "query",
      "show",
      CONTRACT,
      "overlap",
    ]);
    assert.equal(shown.runnable.runnable, true);
    assert.match(await text("northwind", ["query", "show", CONTRACT, "overlap"]), /Runnable: yes/);
    const badExpiry = await cli.run(
      as("northwind", ["query", "approve", CONTRACT, "overlap", "--expires", "soon"]),
    );
    assert.equal(badExpiry.code, 1);
    assert.match(badExpiry.stderr, /expected a duration/);
  });

  it("run start requests a run; the clean room completes it; status shows Completed", async function () {
    const started = await wg<{ runId: string; state: string; queryVersion: string }>([
      "run",
      "start",
      CONTRACT,
      "overlap",
    ]);
    assert.equal(started.state, "Requested");
    assert.equal(started.queryVersion, "1");
    firstRun = started.runId;
    firstDigest = await cleanRoom(firstRun, "complete");

    const status = await nw<Run>(["run", "status", CONTRACT, firstRun]);
    assert.equal(status.state, "Completed");
    assert.equal(status.claim?.measurement, M_VIRT);
    const out = await text("northwind", ["run", "status", CONTRACT, firstRun]);
    assert.match(out, /State: {5}Completed/);
    assert.ok(out.includes(firstDigest));
  });

  it("run statement verifies governance's ES384 signature and prints the output digests", async function () {
    const statement = await nw<{
      verified: boolean;
      statement: { runId: string; outputDigests: { sha256: string }[] };
    }>(["run", "statement", CONTRACT, firstRun]);
    assert.equal(statement.verified, true);
    assert.equal(statement.statement.runId, firstRun);
    assert.equal(statement.statement.outputDigests[0]!.sha256, firstDigest);
    const out = await text("woodgrove", ["run", "statement", CONTRACT, firstRun]);
    assert.match(out, /Verified: yes/);
    assert.ok(out.includes(`${firstDigest}  woodgrove-output/part-0.csv`));
  });

  it("a statement changed after signing, or checked with another key, does not verify", async function () {
    const signed = (
      await c.call(northwind, `${base}/runs/${firstRun}/statement`)
    ).json<RunStatement>();
    const key = (await c.call(northwind, "/app/keys/statement")).json<StatementKey>();
    const expected = { contractId: CONTRACT, runId: firstRun };
    assert.equal(verifyRunStatement(signed, key, expected).verified, true);
    const changed = {
      ...signed,
      statement: signed.statement.replace(firstDigest, "00".repeat(32)),
    };
    assert.equal(verifyRunStatement(changed, key, expected).verified, false);
    const other = await import("node:crypto").then((m) =>
      m
        .generateKeyPairSync("ec", { namedCurve: "P-384" })
        .publicKey.export({ type: "spki", format: "pem" }),
    );
    const wrongKey = { ...key, publicKeyPem: other.toString() };
    assert.equal(verifyRunStatement(signed, wrongKey, expected).verified, false);
    const otherRun = verifyRunStatement(signed, key, { contractId: CONTRACT, runId: "999" });
    assert.equal(otherRun.verified, false);
    assert.match(otherRun.problem ?? "", /is for run/);
  });

  it("run start --wait follows a run that fails and prints why (exit 1)", async function () {
    const known = new Set([firstRun]);
    const child = cli.run(
      as("woodgrove", ["run", "start", CONTRACT, "overlap", "--wait", "--timeout", "60"]),
    );
    const runId = await nextRequested(known);
    await cleanRoom(runId, "fail");
    const result = await child;
    assert.equal(result.code, 1, result.stderr);
    const { error, hint } = errorLines(result);
    assert.equal(error, `run ${runId} failed: view audience has 3 rows, fewer than 100`);
    assert.equal(hint, `see its story with \`cleanroom run logs ${CONTRACT} ${runId}\``);
    const runs = await nw<Run[]>(["run", "list", CONTRACT]);
    assert.deepEqual(
      runs.map((r) => [r.runId, r.state]),
      [
        [firstRun, "Completed"],
        [runId, "Failed"],
      ],
    );
  });

  it("run start --wait returns the completed run", async function () {
    const runs = (await c.call(northwind, `${base}/runs`)).json<{ value: Run[] }>().value;
    const child = cli.run(
      as("woodgrove", ["run", "start", CONTRACT, "overlap", "--wait", "--json"]),
    );
    const runId = await nextRequested(new Set(runs.map((r) => r.runId)));
    const digest = await cleanRoom(runId, "complete");
    const result = await child;
    assert.equal(result.code, 0, result.stderr);
    const done = JSON.parse(result.stdout) as { runId: string; run: Run };
    assert.equal(done.runId, runId);
    assert.equal(done.run.state, "Completed");
    assert.equal(done.run.result?.outputDigests[0]?.sha256, digest);
  });

  it("consent disable: runnable says why, and run start is refused", async function () {
    const off = await nw<{ execution: boolean; switch: string }>([
      "consent",
      "disable",
      CONTRACT,
      "--dataset",
      "northwind-audience",
    ]);
    assert.equal(off.execution, false);
    assert.equal(off.switch, "execution");
    const consent = await nw<{ switches: { execution: boolean } }>([
      "consent",
      "show",
      CONTRACT,
      "--dataset",
      "northwind-audience",
    ]);
    assert.equal(consent.switches.execution, false);
    const queryConsent = await text("woodgrove", [
      "consent",
      "show",
      CONTRACT,
      "--query",
      "overlap",
    ]);
    assert.match(queryConsent, /dataset northwind-audience \(owner [0-9a-f]{12}…\): execution off/);

    const shown = await wg<{ runnable: { runnable: boolean; code: string; reason: string } }>([
      "query",
      "show",
      CONTRACT,
      "overlap",
    ]);
    assert.equal(shown.runnable.runnable, false);
    assert.equal(shown.runnable.code, "DatasetConsentOff");
    assert.match(
      await text("woodgrove", ["query", "show", CONTRACT, "overlap"]),
      /Runnable: no \(DatasetConsentOff: .+\)/,
    );
    const refused = await fails("woodgrove", ["run", "start", CONTRACT, "overlap"]);
    assert.match(refused.error, /DatasetConsentOff/);
    assert.match(refused.hint, /consent show/);

    // A query approver's own switch, set twice (the second change names the current version).
    for (const [verb, on] of [
      ["disable", false],
      ["enable", true],
    ] as const) {
      const set = await wg<{ telemetry: boolean; execution: boolean; switch: string }>([
        "consent",
        verb,
        CONTRACT,
        "--query",
        "overlap",
        "--telemetry",
      ]);
      assert.deepEqual([set.switch, set.telemetry, set.execution], ["telemetry", on, true]);
    }

    const neither = await fails("northwind", ["consent", "disable", CONTRACT]);
    assert.match(neither.error, /either a dataset or a query/);
    const notOwner = await fails("woodgrove", [
      "consent",
      "disable",
      CONTRACT,
      "--dataset",
      "northwind-audience",
    ]);
    assert.match(notOwner.error, /^\w+: /);
  });

  it("audit events lists the trail; --scope keeps one scope", async function () {
    const events = await nw<{ type: string; scope: string; transactionId: string }[]>([
      "audit",
      "events",
      CONTRACT,
    ]);
    const types = events.map((e) => e.type);
    for (const type of [
      "dataset.published",
      "query.proposed",
      "run.requested",
      "run.claimed",
      "run.completed",
      "run.failed",
    ]) {
      assert.ok(types.includes(type), `${type} is missing from ${types.join(", ")}`);
    }
    const runtime = await nw<{ scope: string }[]>([
      "audit",
      "events",
      CONTRACT,
      "--scope",
      "runtime",
    ]);
    assert.ok(runtime.length > 0);
    assert.ok(runtime.every((e) => e.scope === "runtime"));
    const seqno = Number(events[events.length - 1]!.transactionId.split(".")[1]);
    const tail = await nw<{ transactionId: string }[]>([
      "audit",
      "events",
      CONTRACT,
      "--from-seqno",
      String(seqno),
    ]);
    assert.ok(tail.length >= 1 && tail.length < events.length);
    const lines = await text("northwind", ["audit", "events", CONTRACT]);
    assert.match(lines, /\tgovernance\tquery\.proposed\t/);
  });

  it("audit events --follow prints new events as they come, until interrupted", async function () {
    const child = spawn(
      process.execPath,
      [CLI, "audit", "events", CONTRACT, "--follow", "--json", "--profile", "northwind"],
      {
        env: { ...process.env, CLEANROOM_HOME: cli.home },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    try {
      const until = async (predicate: () => boolean) => {
        for (let i = 0; i < 300 && !predicate(); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(predicate(), stdout);
      };
      await until(() => stdout.includes('"query.proposed"'));
      const before = stdout.split("\n").filter(Boolean).length;
      await nw(["consent", "enable", CONTRACT, "--dataset", "northwind-audience"]);
      await until(() => stdout.split("\n").filter(Boolean).length > before);
      const last = JSON.parse(stdout.trimEnd().split("\n").pop()!) as { type: string };
      assert.match(last.type, /consent/);
    } finally {
      child.kill("SIGINT");
    }
    assert.equal(await exited, 0);
  });

  it("audit verify proves every event's receipt against the pinned service certificate", async function () {
    const events = await nw<unknown[]>(["audit", "events", CONTRACT]);
    const verified = await nw<{ events: number; transactions: number }>([
      "audit",
      "verify",
      CONTRACT,
    ]);
    assert.equal(verified.events, events.length);
    assert.ok(verified.transactions > 1);
    const out = await text("woodgrove", ["audit", "verify", CONTRACT, "--scope", "runtime"]);
    assert.match(
      out,
      /^\d+ events verified \(\d+ transaction receipts\) against the pinned service certificate/,
    );
  });

  it("propose makes a new version; an approver rejects it; the proposer withdraws the next", async function () {
    const docArgs = [
      "--sql",
      sqlFile,
      "--input",
      "northwind-audience:audience",
      "--input",
      "woodgrove-customers:customers",
      "--output",
      "woodgrove-output",
      "--min-group-size",
      "20",
    ];
    const v2 = await wg<{ version: string; state: string }>([
      "query",
      "propose",
      CONTRACT,
      "overlap",
      ...docArgs,
    ]);
    assert.deepEqual([v2.version, v2.state], ["2", "Proposed"]);
    const rejected = await nw<{ version: string; state: string }>([
      "query",
      "reject",
      CONTRACT,
      "overlap",
    ]);
    assert.deepEqual([rejected.version, rejected.state], ["2", "Rejected"]);
    const v3 = await wg<{ version: string }>(["query", "propose", CONTRACT, "overlap", ...docArgs]);
    assert.equal(v3.version, "3");
    const notProposer = await fails("northwind", ["query", "withdraw", CONTRACT, "overlap"]);
    assert.match(notProposer.error, /^NotTheProposer: /);
    assert.match(notProposer.hint, /proposer/);
    const withdrawn = await wg<{ version: string; state: string }>([
      "query",
      "withdraw",
      CONTRACT,
      "overlap",
    ]);
    assert.deepEqual([withdrawn.version, withdrawn.state], ["3", "Withdrawn"]);
    const shown = await text("woodgrove", ["query", "show", CONTRACT, "overlap"]);
    assert.match(shown, /v3 {2}Withdrawn/);
    assert.match(shown, /v2 {2}Rejected \(superseded\)/);
    assert.match(shown, /v1 {2}Accepted \(superseded\)/);
    const missing = await fails("northwind", ["query", "review", CONTRACT, "nope"]);
    assert.match(missing.error, /^QueryNotFound: /);
    assert.match(missing.hint, /query list/);
  });

  it("a tampered receipt fails: the verifier, and audit verify naming the event", async function () {
    const events = (await c.call(northwind, `${base}/events?limit=500`)).json<{
      value: { position: number; type: string; transactionId: string }[];
    }>().value;
    const target = events.find((e) => e.type === "run.completed")!;
    const store = new ProfileStore(cli.home);
    const ctxFor = () =>
      createContext(
        { profile: "northwind", json: true },
        {
          stdout: { write: () => true },
          stderr: { write: () => true },
          env: { CLEANROOM_HOME: cli.home },
        },
      );
    const client = ctxFor().governance();
    let good;
    try {
      good = await fetchReceipt(client.transport, target.transactionId);
    } finally {
      client.close();
    }
    const pinned = store.serviceCertPem(store.read("northwind"));
    verifyReceipt(good, pinned);
    const tampered = structuredClone(good);
    tampered.leaf_components!.write_set_digest = "00".repeat(32);
    assert.throws(
      () => verifyReceipt(tampered, pinned),
      (e: unknown) => e instanceof ReceiptError && /signature/.test(e.message),
    );
    assert.throws(() => verifyReceipt({ ...good, proof: "nope" } as never, pinned), ReceiptError);

    await assert.rejects(
      runAuditVerify(ctxFor(), CONTRACT, {}, async (transport, transactionId) => {
        const receipt = await fetchReceipt(transport, transactionId);
        if (transactionId !== target.transactionId) return receipt;
        const sig = Buffer.from(receipt.signature, "base64");
        sig[sig.length - 1] = sig[sig.length - 1]! ^ 1;
        return { ...receipt, signature: sig.toString("base64") };
      }),
      (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(error.code, "ReceiptInvalid");
        assert.ok(
          error.message.startsWith(
            `event ${target.position} (run.completed, transaction ${target.transactionId}) has a bad receipt: signature`,
          ),
          error.message,
        );
        assert.ok(!error.message.includes("\n"));
        return true;
      },
    );
  });
});
