import assert from "node:assert/strict";
import { validateContractDocument, validateContractId } from "./contract.js";
import { contractExamples, contractIdExamples, sampleContract } from "./contract.fixtures.js";

describe("contracts: validateContractDocument", () => {
  for (const example of contractExamples) {
    if (example.error === undefined) {
      it(`accepts ${example.name}`, () => {
        assert.deepEqual(validateContractDocument(example.document), example.document);
      });
    } else {
      it(`refuses ${example.name}`, () => {
        assert.throws(() => validateContractDocument(example.document), {
          name: "Error",
          message: example.error,
        });
      });
    }
  }

  it("covers valid and invalid examples of every part of the document", () => {
    const errors = contractExamples.flatMap((e) => (e.error ? [e.error] : []));
    for (const part of [
      "document ",
      "document.description",
      "document.participants",
      "document.policy.measurements",
      "document.policy.hostData",
      "document.policy.allowVirtual",
      "document.consentDefaults",
      "document.tokenPolicy.audiences",
      "document.tokenPolicy.maxLifetimeSeconds",
    ]) {
      assert.ok(
        errors.some((e) => e.startsWith(part)),
        `no refused example for ${part}`,
      );
    }
    assert.ok(contractExamples.filter((e) => !e.error).length >= 3);
  });

  it("returns the document unchanged and names the path it was given", () => {
    const doc = sampleContract();
    assert.equal(validateContractDocument(doc), doc);
    assert.throws(() => validateContractDocument({}, "contract.yaml"), {
      message: "contract.yaml.participants must be an array, but is of type undefined",
    });
  });

  it("accepts a 96-digit SEV-SNP measurement and refuses one digit more", () => {
    const doc = sampleContract();
    doc.policy.measurements = ["0f".repeat(48)];
    validateContractDocument(doc);
    doc.policy.measurements = ["0f".repeat(48) + "1"];
    assert.throws(() => validateContractDocument(doc), /measurements\[0\] must be lower-case hex/);
  });

  it("refuses more participants than the limit", () => {
    const doc = sampleContract();
    doc.participants = Array.from({ length: 101 }, (_, i) => ({
      id: `p${i}`,
      kind: "user" as const,
      name: `p${i}`,
    }));
    assert.throws(() => validateContractDocument(doc), {
      message: "document.participants must have at most 100 entries",
    });
  });
});

describe("contracts: validateContractId", () => {
  for (const example of contractIdExamples) {
    const label = JSON.stringify(example.id);
    if (example.error === undefined) {
      it(`accepts ${label}`, () => assert.equal(validateContractId(example.id), example.id));
    } else {
      it(`refuses ${label}`, () => {
        assert.throws(() => validateContractId(example.id), { message: example.error });
      });
    }
  }
});
