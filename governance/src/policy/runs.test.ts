import assert from "node:assert/strict";
import {
  datasetRole,
  datasetVerdict,
  grantVerdict,
  isEntitled,
  nextState,
  outputsVerdict,
  sequenceVerdict,
  stateVerdict,
  type RunState,
} from "./runs.js";

const code = (verdict: { ok: boolean; code?: string }) => (verdict.ok ? "ok" : verdict.code);
const query = {
  queryId: "q",
  version: "2",
  proposerId: "p",
  approvers: ["a1", "a2"],
  inputs: [{ datasetId: "in1" }, { datasetId: "in2" }],
  output: "out",
};

describe("governance policy: runs", () => {
  it("a claim needs a Requested run; every other request a claimed, unfinished one", () => {
    const states: RunState[] = ["Requested", "Claimed", "Running", "Completed", "Failed"];
    assert.deepEqual(
      states.map((s) => code(stateVerdict(s, "claim"))),
      ["ok", "RunAlreadyClaimed", "RunAlreadyClaimed", "RunAlreadyClaimed", "RunAlreadyClaimed"],
    );
    assert.deepEqual(
      states.map((s) => code(stateVerdict(s, "key"))),
      ["RunNotClaimed", "ok", "ok", "RunFinished", "RunFinished"],
    );
  });

  it("moves runs along Requested → Claimed → Running → Completed | Failed", () => {
    assert.equal(nextState("Requested", "claim"), "Claimed");
    assert.equal(nextState("Claimed", "progress"), "Running");
    assert.equal(nextState("Claimed", "key"), "Claimed");
    assert.equal(nextState("Running", "complete"), "Completed");
    assert.equal(nextState("Running", "fail"), "Failed");
  });

  it("entitles the proposer and the approvers only", () => {
    assert.equal(isEntitled("p", query), true);
    assert.equal(isEntitled("a2", query), true);
    assert.equal(isEntitled("x", query), false);
  });

  it("releases keys of the datasets the query reads or writes, and no other", () => {
    assert.equal(datasetRole(query, "in2"), "input");
    assert.equal(datasetRole(query, "out"), "output");
    assert.equal(datasetRole(query, "other"), undefined);
    assert.equal(code(datasetVerdict(query, "out")), "ok");
    const refused = datasetVerdict(query, "other");
    assert.ok(
      !refused.ok && refused.code === "DatasetNotInQuery" && refused.reason.includes("version 2"),
    );
  });

  it("releases a grant to a run that touches its owner's data, before it expires", () => {
    assert.equal(code(grantVerdict({ ownerId: "a1" }, ["a1", "a2"], 5)), "ok");
    assert.equal(code(grantVerdict({ ownerId: "z" }, ["a1", "a2"], 5)), "SecretNotForRun");
    assert.equal(code(grantVerdict({ ownerId: "a1", expiresAt: 10 }, ["a1"], 9)), "ok");
    assert.equal(code(grantVerdict({ ownerId: "a1", expiresAt: 10 }, ["a1"], 10)), "SecretExpired");
  });

  it("refuses replayed or malformed progress sequences", () => {
    assert.equal(code(sequenceVerdict(undefined, 0)), "ok");
    assert.equal(code(sequenceVerdict(3, 4)), "ok");
    assert.equal(code(sequenceVerdict(3, 3)), "ReportReplayed");
    assert.equal(code(sequenceVerdict(3, -1)), "InvalidPayload");
    assert.equal(code(sequenceVerdict(3, "4")), "InvalidPayload");
  });

  it("accepts output digests of the query's output only", () => {
    const digest = { datasetId: "out", object: "o", sha256: "a".repeat(64) };
    assert.equal(code(outputsVerdict([digest], "out")), "ok");
    assert.equal(
      code(outputsVerdict([{ ...digest, datasetId: "in1" }], "out")),
      "OutputNotInQuery",
    );
  });
});
