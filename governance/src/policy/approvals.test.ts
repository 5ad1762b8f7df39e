import assert from "node:assert/strict";
import {
  approvalLimits,
  approversOf,
  executionConsentOf,
  queryState,
  runnability,
  telemetryAllowedOf,
  type Ballot,
  type ConsentSwitches,
} from "./approvals.js";

const accept = (extra: Partial<Ballot> = {}): Ballot => ({ vote: "accept", at: 100, ...extra });
const reject: Ballot = { vote: "reject", at: 100 };

describe("policy/approvals: approvers", () => {
  const owners: Record<string, string> = { sales: "northwind", ads: "woodgrove", out: "woodgrove" };

  it("are the owners of every dataset read or written, each once, in order", () => {
    assert.deepEqual(
      approversOf(["sales", "ads", "out"], (id) => owners[id]),
      {
        approvers: ["northwind", "woodgrove"],
        missing: [],
      },
    );
    assert.deepEqual(approversOf(["out", "sales"], (id) => owners[id]).approvers, [
      "woodgrove",
      "northwind",
    ]);
  });

  it("name the datasets that are not published", () => {
    assert.deepEqual(
      approversOf(["sales", "nope", "gone"], (id) => owners[id]),
      {
        approvers: ["northwind"],
        missing: ["nope", "gone"],
      },
    );
  });
});

describe("policy/approvals: query state", () => {
  const approvers = ["a", "b"];

  it("is Proposed until every approver accepted", () => {
    assert.equal(queryState(approvers, {}, false), "Proposed");
    assert.equal(queryState(approvers, { a: accept() }, false), "Proposed");
    assert.equal(queryState(approvers, { a: accept(), b: accept() }, false), "Accepted");
  });

  it("is Rejected by one rejection, whatever the others voted", () => {
    assert.equal(queryState(approvers, { a: reject }, false), "Rejected");
    assert.equal(queryState(approvers, { a: accept(), b: reject }, false), "Rejected");
  });

  it("is Withdrawn once withdrawn, even when accepted", () => {
    assert.equal(queryState(approvers, { a: accept(), b: accept() }, true), "Withdrawn");
    assert.equal(queryState(approvers, {}, true), "Withdrawn");
  });

  it("ignores ballots of non-approvers", () => {
    assert.equal(queryState(approvers, { a: accept(), c: accept() }, false), "Proposed");
    assert.equal(queryState(approvers, { a: accept(), b: accept(), c: reject }, false), "Accepted");
  });

  it("never accepts a query without approvers", () => {
    assert.equal(queryState([], { a: accept() }, false), "Proposed");
  });
});

describe("policy/approvals: limits and runnability", () => {
  const approvers = ["a", "b"];
  const base = { state: "Accepted" as const, approvers, runsUsed: 0, now: 1000 };

  it("takes the tightest expiry and quota among accepting approvers", () => {
    assert.deepEqual(approvalLimits(approvers, { a: accept(), b: accept() }), {});
    assert.deepEqual(
      approvalLimits(approvers, {
        a: accept({ expiresAt: 2000, runQuota: 5 }),
        b: accept({ expiresAt: 1500 }),
      }),
      { expiresAt: 1500, runQuota: 5 },
    );
    assert.deepEqual(
      approvalLimits(approvers, { a: accept({ runQuota: 3 }), b: accept({ runQuota: 2 }) }),
      {
        runQuota: 2,
      },
    );
  });

  it("allows an accepted version without limits", () => {
    assert.deepEqual(runnability({ ...base, ballots: { a: accept(), b: accept() } }), { ok: true });
  });

  it("refuses a version that is not Accepted", () => {
    for (const state of ["Proposed", "Rejected", "Withdrawn"] as const) {
      const verdict = runnability({ ...base, state, ballots: {} });
      assert.equal(verdict.ok, false);
      assert.equal(!verdict.ok && verdict.code, "QueryNotAccepted");
    }
  });

  it("refuses at and after the expiry, not before", () => {
    const ballots = { a: accept({ expiresAt: 1000 }), b: accept() };
    assert.deepEqual(runnability({ ...base, now: 999, ballots }), { ok: true });
    const verdict = runnability({ ...base, now: 1000, ballots });
    assert.equal(!verdict.ok && verdict.code, "ApprovalExpired");
  });

  it("counts requested runs against the quota; a counted run only needs to fit", () => {
    const ballots = { a: accept({ runQuota: 2 }), b: accept() };
    assert.deepEqual(runnability({ ...base, runsUsed: 1, ballots }), { ok: true });
    const full = runnability({ ...base, runsUsed: 2, ballots });
    assert.equal(!full.ok && full.code, "RunQuotaExhausted");
    assert.deepEqual(runnability({ ...base, runsUsed: 2, ballots, countedRun: true }), {
      ok: true,
    });
    const over = runnability({ ...base, runsUsed: 3, ballots, countedRun: true });
    assert.equal(!over.ok && over.code, "RunQuotaExhausted");
  });

  it("refuses when a dataset was republished since the version was proposed", () => {
    const verdict = runnability({
      ...base,
      ballots: { a: accept(), b: accept() },
      changedDatasets: ["sales"],
    });
    assert.equal(!verdict.ok && verdict.code, "DatasetChanged");
    assert.match(!verdict.ok ? verdict.reason : "", /sales/);
  });
});

describe("policy/approvals: execution consent", () => {
  const datasets = [
    { datasetId: "sales", owner: "a" },
    { datasetId: "out", owner: "b" },
  ];
  const consent = (
    contractExecution: boolean,
    query: Record<string, ConsentSwitches> = {},
    data: Record<string, ConsentSwitches> = {},
  ) =>
    executionConsentOf({
      contractExecution,
      queryId: "q1",
      approvers: ["a", "b"],
      querySwitches: (id) => query[id],
      datasets,
      datasetSwitches: (id, owner) => data[`${id}/${owner}`],
    });

  it("is on when the contract's switch is on and no approver switched off", () => {
    assert.deepEqual(consent(true), { ok: true });
    assert.deepEqual(consent(true, { a: { execution: true }, b: { telemetry: false } }), {
      ok: true,
    });
  });

  it("is off when the contract's execution switch is off", () => {
    const verdict = consent(false);
    assert.equal(!verdict.ok && verdict.code, "ContractExecutionOff");
  });

  it("is off when any approver switched the query off, naming them", () => {
    const verdict = consent(true, { b: { execution: false } });
    assert.equal(!verdict.ok && verdict.code, "QueryConsentOff");
    assert.match(!verdict.ok ? verdict.reason : "", /Approver b/);
  });

  it("is off when an owner switched a dataset off, naming it", () => {
    const verdict = consent(true, {}, { "out/b": { execution: false } });
    assert.equal(!verdict.ok && verdict.code, "DatasetConsentOff");
    assert.match(!verdict.ok ? verdict.reason : "", /dataset out/);
  });

  it("only reads the dataset switch of the dataset's owner", () => {
    assert.deepEqual(consent(true, {}, { "out/a": { execution: false } }), { ok: true });
  });
});

describe("policy/approvals: telemetry consent", () => {
  const allowed = (
    contractTelemetry: boolean,
    query: Record<string, ConsentSwitches> = {},
    data: Record<string, ConsentSwitches> = {},
  ) =>
    telemetryAllowedOf({
      contractTelemetry,
      approvers: ["a", "b"],
      querySwitches: (id) => query[id],
      datasets: [{ datasetId: "sales", owner: "a" }],
      datasetSwitches: (id, owner) => data[`${id}/${owner}`],
    });

  it("needs the contract's switch and every approver's", () => {
    assert.equal(allowed(true), true);
    assert.equal(allowed(false), false);
    assert.equal(allowed(true, { b: { telemetry: false } }), false);
    assert.equal(allowed(true, { b: { execution: false } }), true);
    assert.equal(allowed(true, {}, { "sales/a": { telemetry: false } }), false);
  });
});
