import assert from "node:assert/strict";
import { CliHome, errorLines, pidAlive } from "./run.js";

/** `cleanroom key`: the operator makes the key-encryption key owners publish datasets to. */
describe("cleanroom key (a real sandbox)", function () {
  this.timeout(120_000);
  const operator = new CliHome();
  const stranger = new CliHome();
  let pid = 0;

  before(async function () {
    const created = await operator.json<{ url: string; serviceCert: string; pid: number }>([
      "consortium",
      "create",
      "--port",
      "0",
    ]);
    pid = created.pid;
    await stranger.json([
      "profile",
      "create",
      "stranger",
      "--kind",
      "user",
      "--endpoint",
      created.url,
      "--service-cert",
      created.serviceCert,
    ]);
  });

  after(async function () {
    if (pid !== 0) {
      await operator.run(["consortium", "stop"]);
      for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      if (pidAlive(pid)) process.kill(pid, "SIGKILL");
    }
    operator.remove();
    stranger.remove();
  });

  it("lists no key, creates one (idempotently), then lists it as current", async () => {
    assert.deepEqual(await operator.json(["key", "list"]), []);
    const created = await operator.json<{ kekId: string; current: boolean }>(["key", "create"]);
    assert.equal(created.current, true);
    const again = await operator.json<{ kekId: string }>(["key", "create"]);
    assert.equal(again.kekId, created.kekId);
    const listed = await operator.json<{ kekId: string; current: boolean }[]>(["key", "list"]);
    assert.deepEqual(
      listed.map((k) => [k.kekId, k.current]),
      [[created.kekId, true]],
    );
  });

  it("refuses a caller the consortium does not know, in one line", async () => {
    const result = await stranger.run(["key", "create"]);
    assert.equal(result.code, 1);
    const { error, hint } = errorLines(result);
    assert.match(error, /\S/);
    assert.match(hint, /\S/);
  });
});
