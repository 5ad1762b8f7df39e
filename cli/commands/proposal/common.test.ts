import assert from "node:assert/strict";
import { ballotSource, GovernanceError } from "../../../client/governance/index.js";
import { UserError } from "../../errors.js";
import { ballotMeaning, describeAction, refusal } from "./common.js";

describe("proposal commands: shared presentation", function () {
  it("a refused contract proposal is one line naming the field, with a hint", function () {
    const error = refusal(
      new GovernanceError(
        400,
        "ProposalFailedToValidate",
        "Proposal failed to validate: document.policy.measurements[0] must be lower-case hex\nwith an even number of digits",
      ),
    );
    assert.ok(error instanceof UserError);
    assert.equal(
      error.message,
      "ProposalFailedToValidate: document.policy.measurements[0] must be lower-case hex with an even number of digits",
    );
    assert.equal(error.code, "ProposalFailedToValidate");
    assert.ok(error.hint);
  });

  it("an invalid draft (400 InvalidContract) keeps the validator's message, from its details", function () {
    const error = refusal(
      new GovernanceError(400, "InvalidContract", "Bad request", [
        { code: "InvalidContract", message: "document.participants must have at least 1 entry" },
      ]),
    );
    assert.ok(error instanceof UserError);
    assert.equal(
      error.message,
      "InvalidContract: document.participants must have at least 1 entry",
    );
  });

  it("leaves faults (5xx, transport, other errors) and unknown codes alone", function () {
    const fault = new GovernanceError(500, "InternalError", "boom");
    assert.equal(refusal(fault), fault);
    const transport = new GovernanceError(0, "Unreachable", "Cannot reach");
    assert.equal(refusal(transport), transport);
    const unknown = new GovernanceError(403, "SomethingElse", "no");
    assert.equal(refusal(unknown), unknown);
    assert.ok(refusal(unknown, { SomethingElse: "do this" }) instanceof UserError);
    const plain = new Error("x");
    assert.equal(refusal(plain), plain);
  });

  it("describes set_contract in words and other actions with long values shortened", function () {
    const contract = {
      name: "set_contract",
      args: {
        contractId: "sales",
        version: "2.9",
        document: {
          participants: [
            { id: "ab", kind: "member", name: "operator" },
            { id: "cd", kind: "user", name: "northwind" },
          ],
          policy: { measurements: ["00"], allowVirtual: false },
        },
      },
    };
    assert.equal(
      describeAction(contract),
      "set_contract sales version 2.9: participants operator (member), northwind (user); 1 measurement; virtual attestation not allowed",
    );
    const user = describeAction({
      name: "set_user",
      args: { cert: "-----BEGIN CERTIFICATE-----\nMII…", note: "x".repeat(100) },
    });
    assert.equal(user, `set_user {"cert":"<certificate>","note":"${"x".repeat(40)}… (100 chars)"}`);
    assert.equal(
      describeAction({ name: "transition_service_to_open" }),
      "transition_service_to_open",
    );
  });

  it("reads the plain ballots back as for and against", function () {
    assert.equal(ballotMeaning(ballotSource(true)), "for");
    assert.equal(ballotMeaning(ballotSource(false)), "against");
    assert.equal(ballotMeaning("export function vote() { return 1 > 0; }"), "custom");
  });
});
