import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CliHome, errorLines, pidAlive } from "./run.js";

interface Created {
  profile: string;
  url: string;
  memberId: string;
  started: boolean;
  alreadyRunning: boolean;
  pid: number;
  workspace: string;
  log: string;
  serviceCert: string;
}

async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !pidAlive(pid);
}

describe("cleanroom consortium and status (separate processes, a real sandbox)", function () {
  this.timeout(120_000);
  let cli: CliHome;
  const pids: number[] = [];

  before(() => (cli = new CliHome()));
  after(async () => {
    // Whatever happened, leave nothing running.
    for (const pid of pids) {
      if (pidAlive(pid)) process.kill(pid, "SIGKILL");
    }
    cli.remove();
  });

  it("create → show → status → stop, leaving no process", async function () {
    const created = await cli.json<Created>(["consortium", "create", "--port", "0"]);
    pids.push(created.pid);
    assert.equal(created.profile, "operator");
    assert.equal(created.started, true);
    assert.match(created.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(pidAlive(created.pid));
    assert.match(readFileSync(created.serviceCert, "utf8"), /BEGIN CERTIFICATE/);
    // The operator is the workspace's member0.
    assert.equal(
      readFileSync(`${created.workspace}/member0_cert.pem`, "utf8"),
      readFileSync(`${cli.home}/profiles/operator/cert.pem`, "utf8"),
    );

    // Idempotent: a second create shows the running one.
    const again = await cli.json<Created>(["consortium", "create", "--port", "0"]);
    assert.equal(again.alreadyRunning, true);
    assert.equal(again.started, false);
    assert.equal(again.pid, created.pid);
    assert.equal(again.url, created.url);
    const human = await cli.run(["consortium", "create"]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /already running/);

    const shown = await cli.json<{
      serviceStatus: string;
      members: { memberId: string; status: string; you: boolean }[];
      pid: number;
    }>(["consortium", "show"]);
    assert.equal(shown.serviceStatus, "Open");
    assert.deepEqual(shown.members, [{ memberId: created.memberId, status: "Active", you: true }]);
    assert.equal(shown.pid, created.pid);

    const status = await cli.json<{ kind: string; id: string; serviceStatus: string }>(["status"]);
    assert.deepEqual(
      [status.kind, status.id, status.serviceStatus],
      ["member", created.memberId, "Open"],
    );
    const line = await cli.run(["status"]);
    assert.equal(line.code, 0);
    assert.match(line.stdout, /^operator: member .* service Open\nNothing to do\.\n$/);

    // A persona the service does not know: one line and a hint.
    await cli.json([
      "profile",
      "create",
      "northwind",
      "--kind",
      "user",
      "--endpoint",
      created.url,
      "--service-cert",
      created.serviceCert,
    ]);
    const unknown = await cli.run(["status", "--profile", "northwind"]);
    assert.equal(unknown.code, 1);
    assert.match(errorLines(unknown).error, /not registered/);
    assert.match(errorLines(unknown).hint, /invite/);

    const stopped = await cli.json<{ stopped: number }>(["consortium", "stop"]);
    assert.equal(stopped.stopped, created.pid);
    assert.ok(await waitGone(created.pid), "the sandbox process is gone");

    const none = await cli.json<{ stopped: number | null }>(["consortium", "stop"]);
    assert.equal(none.stopped, null);
    const noneText = await cli.run(["consortium", "stop"]);
    assert.equal(noneText.code, 0);
    assert.match(noneText.stdout, /No sandbox is running/);

    // The endpoint is now unreachable: one line and a hint, exit 1.
    const unreachable = await cli.run(["status", "--profile", "northwind"]);
    assert.equal(unreachable.code, 1);
    assert.match(errorLines(unreachable).error, /Cannot reach/);
    assert.match(errorLines(unreachable).hint, /consortium/);
    const notRunning = await cli.run(["consortium", "show"]);
    assert.equal(notRunning.code, 1);
    assert.match(errorLines(notRunning).hint, /consortium create/);
  });

  it("restarts the same consortium from its workspace, with the same member and URL", async function () {
    const first = await cli.json<Created>([
      "consortium",
      "create",
      "--port",
      "0",
      "--profile",
      "r",
    ]);
    pids.push(first.pid);
    assert.equal(
      (await cli.json<{ stopped: number }>(["consortium", "stop", "--profile", "r"])).stopped,
      first.pid,
    );
    assert.ok(await waitGone(first.pid));
    const second = await cli.json<Created>(["consortium", "create", "--profile", "r"]);
    pids.push(second.pid);
    assert.equal(second.started, true);
    assert.notEqual(second.pid, first.pid);
    assert.equal(second.url, first.url);
    assert.equal(second.memberId, first.memberId);
    assert.equal(second.workspace, first.workspace);
    const status = await cli.json<{ kind: string; id: string }>(["status", "--profile", "r"]);
    assert.deepEqual([status.kind, status.id], ["member", first.memberId]);
    await cli.json(["consortium", "stop", "--profile", "r"]);
    assert.ok(await waitGone(second.pid));
  });

  it("a new operator profile adopts member0 of an existing workspace", async function () {
    const first = await cli.json<Created>([
      "consortium",
      "create",
      "--port",
      "0",
      "--profile",
      "w1",
    ]);
    pids.push(first.pid);
    await cli.json(["consortium", "stop", "--profile", "w1"]);
    assert.ok(await waitGone(first.pid));
    // Another profile cannot take over a workspace whose member0 it is not...
    await cli.json(["profile", "create", "other", "--kind", "member"]);
    const args = ["consortium", "create", "--port", "0", "--workspace", first.workspace];
    const refused = await cli.run([...args, "--profile", "other"]);
    assert.equal(refused.code, 1);
    assert.match(errorLines(refused).error, /member0 of workspace .* is not profile 'other'/);
    // ...but a new profile adopts its member0 key.
    const adopted = await cli.json<Created>([...args, "--profile", "w2"]);
    pids.push(adopted.pid);
    assert.equal(adopted.memberId, first.memberId);
    assert.equal(
      readFileSync(`${cli.home}/profiles/w2/privk.pem`, "utf8"),
      readFileSync(`${first.workspace}/member0_privk.pem`, "utf8"),
    );
    await cli.json(["consortium", "stop", "--profile", "w2"]);
    assert.ok(await waitGone(adopted.pid));
  });

  it("records an existing network with --endpoint, starting nothing", async function () {
    const ca = await cli.json<{ cert: string }>(["profile", "create", "ca-holder"]);
    const recorded = await cli.json<Created>([
      "consortium",
      "create",
      "--profile",
      "remote-op",
      "--endpoint",
      "https://127.0.0.1:1",
      "--service-cert",
      ca.cert,
    ]);
    assert.equal(recorded.started, false);
    assert.equal(recorded.pid, null);
    assert.equal(recorded.url, "https://127.0.0.1:1");
    const unreachable = await cli.run(["consortium", "show", "--profile", "remote-op"]);
    assert.equal(unreachable.code, 1);
    assert.match(errorLines(unreachable).error, /Cannot reach the governance service/);
  });

  it("says why the sandbox cannot start (port in use), exit 1", async function () {
    const running = await cli.json<Created>([
      "consortium",
      "create",
      "--port",
      "0",
      "--profile",
      "a",
    ]);
    pids.push(running.pid);
    try {
      const port = new URL(running.url).port;
      const clash = await cli.run(["consortium", "create", "--port", port, "--profile", "b"]);
      assert.equal(clash.code, 1);
      assert.match(errorLines(clash).error, /already in use/);
    } finally {
      await cli.json(["consortium", "stop", "--profile", "a"]);
    }
    assert.ok(await waitGone(running.pid));
  });
});
