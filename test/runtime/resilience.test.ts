/**
 * The runtime across interruptions: a restarted agent resumes the runs its journal holds (same
 * bound key, re-run from the start) or fails them cleanly; governance going away and coming back
 * is an outage the agent rides out by itself; the process entry prints its ready line and stops
 * cleanly on SIGTERM.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { DatasetLocation } from "../../contracts/src/dataset.js";
import { openStorage } from "../../client/storage/index.js";
import { startSandbox, type Sandbox } from "../../sandbox/index.js";
import { evidenceFor, virtualEvidence } from "../../runtime/agent/attestation.js";
import { RuntimeGovernance } from "../../runtime/agent/governance.js";
import { Journal } from "../../runtime/agent/journal.js";
import { RunKey } from "../../runtime/agent/runkey.js";
import { JOURNAL_FILE, LOG_FILE, readStatus } from "../../runtime/index.js";
import { freePort } from "../support/azurite.js";
import { CONTRACT, logged, startWorld, type World } from "./world.js";

const MAIN = fileURLToPath(new URL("../../runtime/main.js", import.meta.url));

describe("runtime: restarts and outages", function () {
  let world: World;
  let port: number;
  let sandboxDir: string;
  let restarted: Sandbox | undefined;

  /** A run claimed as a runtime that then stopped would have left it: claimed, in its journal. */
  async function journaledRun(
    attempts: number,
  ): Promise<{ runId: string; key: RunKey; workspace: string }> {
    const runId = await world.requestRun("count");
    const key = await RunKey.generate();
    const governance = new RuntimeGovernance({
      endpoint: world.c.sandbox.url,
      serviceCertPem: world.c.sandbox.serviceCertPem,
      contractId: CONTRACT,
    });
    try {
      const { nonce } = await governance.nonce(runId);
      const attestation = await evidenceFor(
        virtualEvidence(world.measurement),
        key.publicKeyPem,
        nonce,
      );
      const claim = await governance.claim(runId, {
        attestation,
        publicKeyPem: key.publicKeyPem,
        nonce,
      });
      const workspace = mkdtempSync(join(world.folder, "journaled-"));
      new Journal(workspace).put({ runId, privateKeyPem: key.privateKeyPem(), claim, attempts });
      return { runId, key, workspace };
    } finally {
      governance.close();
    }
  }

  before(async function () {
    this.timeout(60_000);
    port = await freePort();
    sandboxDir = mkdtempSync(join(tmpdir(), "cleanroom-runtime-gov-"));
    world = await startWorld({ workspace: sandboxDir, port });
    const owner = world.owners[0]!;
    const events: DatasetLocation = { kind: "local", path: join(world.folder, "events") };
    await world.publish(owner, "events", {
      location: events,
      storage: openStorage(events),
      schema: [{ name: "kind", type: "string" }],
      files: { "events.csv": "kind\nview\nclick\nview\n" },
    });
    const counts: DatasetLocation = { kind: "local", path: join(world.folder, "counts") };
    await world.publish(owner, "counts", {
      location: counts,
      storage: openStorage(counts),
      schema: [{ name: "n", type: "long" }],
    });
    await world.approveQuery(
      "count",
      {
        sql: [{ statement: "SELECT COUNT(*) AS n FROM events" }],
        inputs: [{ datasetId: "events", view: "events" }],
        output: { datasetId: "counts" },
      },
      [owner],
    );
  });
  after(async () => {
    await restarted?.stop();
    await world?.stop();
    rmSync(sandboxDir, { recursive: true, force: true });
  });

  it("resumes a claimed run from its journal, with the key the run is bound to", async () => {
    const { runId, key, workspace } = await journaledRun(1);
    const runtime = world.startRuntime({ workspace });
    const run = await world.finished(runId);
    assert.equal(run.state, "Completed", run.failure?.reason);
    assert.equal((run.claim as { publicKeyPem?: string }).publicKeyPem, key.publicKeyPem);
    assert.ok(runtime.logs.some((e) => e.event === "run.resumed" && e["runId"] === runId));
    await runtime.handle.stop();
    const journal = join(workspace, JOURNAL_FILE);
    assert.deepEqual(JSON.parse(readFileSync(journal, "utf8")), { runs: {} });
    assert.equal(statSync(journal).mode & 0o777, 0o600);
  });

  it("fails a claimed run that was interrupted too often, with a reason", async () => {
    const { runId, workspace } = await journaledRun(2);
    const runtime = world.startRuntime({ workspace });
    const run = await world.finished(runId);
    assert.equal(run.state, "Failed");
    assert.match(run.failure!.reason, /^RuntimeRestarted: /);
    await runtime.handle.stop();
  });

  it("rides out governance stopping and restarting, then runs what was requested", async () => {
    const runtime = world.startRuntime();
    await runtime.handle.whenIdle();
    await world.c.sandbox.stop();
    await logged(runtime.logs, (e) => e.event === "governance.unreachable");
    assert.equal(readStatus(runtime.workspace)?.connected, false);
    const build = process.env["GOVERNANCE_BUILD"];
    restarted = await startSandbox({
      workspace: sandboxDir,
      port,
      log: () => undefined,
      ...(build
        ? {
            bundle: join(build, "bundle.json"),
            constitution: [join(build, "constitution_additions.js")],
          }
        : {}),
    });
    await logged(runtime.logs, (e) => e.event === "governance.reconnected");
    const runId = await world.requestRun("count");
    assert.equal((await world.finished(runId)).state, "Completed");
    assert.equal(runtime.logs.filter((e) => e.event === "governance.unreachable").length, 1);
    await runtime.handle.stop();
  });

  it("runs as a process: one ready line, runs, and a clean stop on SIGTERM", async () => {
    const workspace = mkdtempSync(join(world.folder, "process-"));
    const certFile = join(workspace, "service_cert.pem");
    writeFileSync(certFile, world.c.sandbox.serviceCertPem);
    const child = spawn(
      process.execPath,
      [
        MAIN,
        "--contract",
        CONTRACT,
        "--endpoint",
        world.c.sandbox.url,
        "--service-cert",
        certFile,
        "--workspace",
        workspace,
        "--poll-ms",
        "50",
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const lines = createInterface({ input: child.stdout });
      const line = await new Promise<string>((resolve) => lines.once("line", resolve));
      const ready = JSON.parse(line) as { ready: boolean; pid: number; measurement: string };
      assert.equal(ready.ready, true);
      assert.equal(ready.pid, child.pid);
      assert.equal(ready.measurement, world.measurement);
      const runId = await world.requestRun("count");
      assert.equal((await world.finished(runId)).state, "Completed");
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0);
    const status = readStatus(workspace)!;
    assert.equal(status.state, "stopped");
    assert.equal(status.pid, child.pid);
    assert.equal(status.counts.completed, 1);
    const events = readFileSync(join(workspace, LOG_FILE), "utf8")
      .trim()
      .split("\n")
      .map((text) => (JSON.parse(text) as { event: string }).event);
    assert.deepEqual([events[0], events.at(-1)], ["agent.started", "agent.stopped"]);
    assert.ok(events.includes("run.completed"));
  });
});
