/**
 * `npm run demo` as a user runs it: the built entry as its own process, which starts Azurite, the
 * S3 server, a sandbox and the clean room, plays the three personas with the CLI, and stops it all.
 * It must exit 0 with every check passed, print each persona's steps and the summary, and leave no
 * process and no working folder behind.
 */
import assert from "node:assert/strict";
import { processesUnder, runDemo, type DemoRun } from "../../demos/support/run-demo.js";

describe("demo: the three-persona analytics clean room (npm run demo)", function () {
  this.timeout(300_000);
  let run: DemoRun;

  before(async () => {
    run = await runDemo();
  });

  it("exits 0 and says every result is as expected", function () {
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /Demo completed: every result is as expected\./);
    assert.equal(run.report?.ok, true);
    assert.equal(run.report?.error, null);
  });

  it("prints each persona's steps with their times", function () {
    for (const line of [
      /^\[operator\] {2}consortium create .* … \d+\.\d s → https:\/\/127\.0\.0\.1:\d+$/m,
      /^\[northwind\] dataset encrypt northwind-audience \(120,000 rows\) … \d+\.\d s$/m,
      /^\[woodgrove\] dataset upload woodgrove-customers … \d+\.\d s → part-0\.csv$/m,
      /^\[woodgrove\] run start overlap --wait … \d+\.\d s → run [0-9a-f]+ Completed$/m,
      /^\[northwind\] consent disable --dataset northwind-audience/m,
    ]) {
      assert.match(run.stdout, line);
    }
  });

  it("checks the output against the plain computation, and both refusals", function () {
    const checks = new Map(run.report!.checks.map((c) => [c.label, c]));
    for (const label of [
      "output",
      "run inputs",
      "statement",
      "disallowed field",
      "consent off",
      "audit trail",
      "receipts",
    ]) {
      assert.equal(checks.get(label)?.ok, true, `${label}: ${checks.get(label)?.detail}`);
    }
    assert.match(checks.get("output")!.detail, /match the plain computation/);
    assert.match(checks.get("disallowed field")!.detail, /device_id/);
    assert.match(checks.get("consent off")!.detail, /consent/i);
  });

  it("ends with the summary: phases, personas, checks", function () {
    const summary = run.stdout.slice(run.stdout.indexOf("== Summary"));
    assert.match(summary, /^ {2}total +\d+\.\d s$/m);
    for (const phase of ["services", "consortium", "contract", "data", "query", "run", "audit"]) {
      assert.match(summary, new RegExp(`^ {2}${phase} +\\d+\\.\\d s$`, "m"));
    }
    for (const persona of ["operator", "northwind", "woodgrove"]) {
      assert.match(summary, new RegExp(`^ {2}${persona} +\\d+ +\\d+\\.\\d s$`, "m"));
    }
    const total = run.report!.checks.length;
    assert.ok(total >= 15, `only ${total} checks`);
    assert.match(summary, new RegExp(`checks: ${total} passed, 0 failed`));
  });

  it("leaves nothing running and removes its working folder", function () {
    assert.equal(run.workdirLeft, false);
    assert.deepEqual(processesUnder(run.workdir), []);
  });
});
