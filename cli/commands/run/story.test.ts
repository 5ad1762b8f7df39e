import assert from "node:assert/strict";
import type { AuditEvent, Run } from "../../../client/governance/index.js";
import { eventLine, eventStory, isAboutRun, runSummary } from "./story.js";

const event = (type: string, details: Record<string, unknown>, scope = "runtime"): AuditEvent => ({
  position: 3,
  scope,
  type,
  actor: "runtime:7",
  subject: "7",
  details,
  transactionId: "2.41",
});

describe("run story (run logs)", function () {
  it("says what each event of a run means, refusals with their code and reason", function () {
    assert.equal(
      eventStory(event("key.released", { runId: "7", datasetId: "sales", role: "input" })),
      "key of dataset sales released (input)",
    );
    assert.equal(
      eventStory(
        event("run.progress", {
          runId: "7",
          phase: "query",
          rowCounts: { "input:sales": 10 },
          durationsMs: { load: 5 },
        }),
      ),
      "phase query; rows: input:sales 10; took: load 5 ms",
    );
    assert.equal(
      eventStory(
        event("key.refused", {
          runId: "7",
          status: 403,
          code: "DatasetConsentOff",
          reason: "northwind switched execution off",
        }),
      ),
      "key refused (DatasetConsentOff): northwind switched execution off",
    );
    assert.equal(
      eventStory(
        event("run.request.refused", { code: "NotEntitled", message: "no" }, "governance"),
      ),
      "run.request refused (NotEntitled): no",
    );
    assert.equal(eventStory(event("something.new", { runId: "7" })), "something.new");
    assert.equal(
      eventLine(event("run.failed", { runId: "7", reason: "QueryFailed: x" })),
      "2.41      runtime    failed: QueryFailed: x",
    );
  });

  it("keeps only the events whose details name the run", function () {
    assert.ok(isAboutRun(event("run.claimed", { runId: "7" }), "7"));
    assert.ok(!isAboutRun(event("run.claimed", { runId: "70" }), "7"));
    // A subject alone is not enough: a query or dataset may share the run's id.
    assert.ok(!isAboutRun(event("query.approved", {}, "governance"), "7"));
  });

  it("summarises a failed run with its last phase's durations and rows", function () {
    const run: Run = {
      contractId: "c",
      runId: "7",
      queryId: "q",
      queryVersion: "2",
      parameters: {},
      requestedBy: "ab".repeat(32),
      requestedAt: "2026-11-25T10:00:00Z",
      state: "Failed",
      inputs: [{ datasetId: "sales", view: "s" }],
      output: "out",
      progress: {
        sequence: 2,
        phase: "load",
        rowCounts: { "input:sales": 3 },
        durationsMs: { keys: 4 },
        at: "2026-11-25T10:00:01Z",
      },
      failure: { reason: "PreconditionFailed: too few rows", failedAt: "2026-11-25T10:00:02Z" },
      version: "2.50",
    };
    assert.deepEqual(runSummary(run), [
      "Run 7 of query q version 2 in c: Failed",
      "Requested 2026-11-25T10:00:00Z by abababababab…; inputs sales as s; output out",
      "Durations: keys 4 ms",
      "Rows:      input:sales 3",
      "Failed:    2026-11-25T10:00:02Z: PreconditionFailed: too few rows",
    ]);
  });
});
