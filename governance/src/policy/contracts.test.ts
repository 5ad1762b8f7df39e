import assert from "node:assert/strict";
import { sampleContract } from "../../../contracts/src/contract.fixtures.js";
import {
  contractState,
  effectiveSwitches,
  participatesIn,
  setContractProposals,
  type ContractProposal,
} from "./contracts.js";

const proposal = (
  proposalState: string,
  version: string,
  proposalId = `p-${proposalState}-${version}`,
): ContractProposal => ({
  proposalId,
  proposalState,
  contractId: "c",
  version,
  document: {},
});

describe("policy: contract state", () => {
  it("is unknown without draft, accepted version or proposal", () => {
    assert.equal(contractState({ proposals: [] }), undefined);
  });

  it("is Draft with only a draft, and Proposed while an Open proposal names it", () => {
    assert.deepEqual(contractState({ draftVersion: "2.5", proposals: [] }), { state: "Draft" });
    const open = proposal("Open", "2.5");
    assert.deepEqual(
      contractState({ draftVersion: "2.9", proposals: [proposal("Rejected", "2.5"), open] }),
      { state: "Proposed", proposal: open },
    );
  });

  it("is Rejected when the rejected proposal is of the current draft, Draft after an edit", () => {
    const rejected = proposal("Rejected", "2.5");
    assert.deepEqual(contractState({ draftVersion: "2.5", proposals: [rejected] }), {
      state: "Rejected",
      proposal: rejected,
    });
    assert.deepEqual(contractState({ draftVersion: "2.7", proposals: [rejected] }), {
      state: "Draft",
    });
  });

  it("goes back to Draft when the proposal was withdrawn, dropped or failed", () => {
    for (const state of ["Withdrawn", "Dropped", "Failed"]) {
      assert.deepEqual(
        contractState({ draftVersion: "2.5", proposals: [proposal(state, "2.5")] }),
        { state: "Draft" },
      );
    }
  });

  it("is Accepted when the draft is the accepted version, Draft when a newer draft exists", () => {
    const facts = { acceptedVersion: "2.5", proposals: [proposal("Accepted", "2.5")] };
    assert.deepEqual(contractState({ ...facts, draftVersion: "2.5" }), { state: "Accepted" });
    assert.deepEqual(contractState(facts), { state: "Accepted" });
    assert.deepEqual(contractState({ ...facts, draftVersion: "2.8" }), { state: "Draft" });
  });
});

describe("policy: set_contract proposals", () => {
  it("finds set_contract actions per contract and skips what is not one", () => {
    const text = JSON.stringify({
      actions: [
        { name: "set_contract", args: { contractId: "a", version: "2.3", document: { x: 1 } } },
        { name: "set_contract", args: { contractId: "b", version: "2.4", document: {} } },
        { name: "set_user", args: { cert: "..." } },
        { name: "set_contract", args: { contractId: 7, version: "2.4" } },
        null,
      ],
    });
    const found = setContractProposals([
      { proposalId: "p1", proposalState: "Open", text },
      { proposalId: "p2", proposalState: "Open", text: "not json" },
      { proposalId: "p3", proposalState: "Open", text: "null" },
      { proposalId: "p4", proposalState: "Rejected", text },
    ]);
    assert.deepEqual([...found.keys()].sort(), ["a", "b"]);
    assert.deepEqual(found.get("a"), [
      {
        proposalId: "p1",
        proposalState: "Open",
        contractId: "a",
        version: "2.3",
        document: { x: 1 },
      },
      {
        proposalId: "p4",
        proposalState: "Rejected",
        contractId: "a",
        version: "2.3",
        document: { x: 1 },
      },
    ]);
  });
});

describe("policy: consent switches", () => {
  const defaults = { execution: true, logging: false, telemetry: false };

  it("are the defaults without a switch record", () => {
    assert.deepEqual(effectiveSwitches(defaults, undefined), defaults);
  });

  it("take each switch that members set over the default", () => {
    assert.deepEqual(effectiveSwitches(defaults, { execution: false, proposalId: "p" }), {
      execution: false,
      logging: false,
      telemetry: false,
    });
    assert.deepEqual(effectiveSwitches(defaults, { logging: true, telemetry: true }), {
      execution: true,
      logging: true,
      telemetry: true,
    });
  });
});

describe("policy: participants", () => {
  it("finds an id in any of the documents", () => {
    const doc = sampleContract();
    const id = doc.participants[1]!.id;
    assert.equal(participatesIn(id, [undefined, doc]), true);
    assert.equal(participatesIn("someone-else", [doc, undefined]), false);
    assert.equal(participatesIn(id, []), false);
  });
});
