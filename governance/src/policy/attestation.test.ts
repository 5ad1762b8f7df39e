import assert from "node:assert/strict";
import type { CleanRoomPolicy } from "../../../contracts/src/contract.js";
import {
  claimsVerdict,
  nonceVerdict,
  outstandingNonce,
  payloadVerdict,
  platformVerdict,
  policyVerdict,
  type EvidenceClaims,
  type NonceRecord,
} from "./attestation.js";

const measurement = "ab".repeat(48);
const hostData = "cd".repeat(32);
const reportData = "0e".repeat(64);
const policy: CleanRoomPolicy = {
  measurements: [measurement],
  hostData: [hostData],
  allowVirtual: false,
};
const claims: EvidenceClaims = {
  platform: "snp",
  measurement,
  hostData,
  reportData,
  debuggable: false,
};
const code = (verdict: { ok: boolean; code?: string }) => (verdict.ok ? "ok" : verdict.code);

describe("governance policy: attestation", () => {
  it("accepts virtual evidence only where the contract allows it", () => {
    assert.equal(code(platformVerdict("virtual", policy)), "VirtualAttestationNotAllowed");
    assert.equal(code(platformVerdict("virtual", { ...policy, allowVirtual: true })), "ok");
    assert.equal(code(platformVerdict("snp", policy)), "ok");
  });

  it("accepts claims that match measurement, host data and report data", () => {
    assert.equal(code(claimsVerdict(claims, policy, reportData)), "ok");
    assert.equal(code(claimsVerdict(claims, policy, reportData.toUpperCase())), "ok");
  });

  it("refuses a measurement, host data or report data outside the policy, and debuggable guests", () => {
    const other = "11".repeat(48);
    assert.equal(
      code(claimsVerdict({ ...claims, measurement: other }, policy, reportData)),
      "MeasurementNotAllowed",
    );
    assert.equal(
      code(claimsVerdict({ ...claims, hostData: "00".repeat(32) }, policy, reportData)),
      "HostDataNotAllowed",
    );
    const { hostData: _, ...noHost } = claims;
    assert.equal(code(claimsVerdict(noHost, policy, reportData)), "HostDataNotAllowed");
    assert.equal(code(claimsVerdict(claims, policy, "00".repeat(64))), "ReportDataMismatch");
    assert.equal(
      code(claimsVerdict({ ...claims, debuggable: true }, policy, reportData)),
      "DebuggableGuest",
    );
  });

  it("re-checks a bound clean room against the policy as it stands", () => {
    assert.equal(code(policyVerdict(claims, policy)), "ok");
    assert.equal(
      code(policyVerdict({ ...claims, platform: "virtual" }, policy)),
      "VirtualAttestationNotAllowed",
    );
    assert.equal(
      code(policyVerdict(claims, { ...policy, measurements: ["00"] })),
      "MeasurementNotAllowed",
    );
    assert.equal(
      code(policyVerdict(claims, { ...policy, hostData: ["00"] })),
      "HostDataNotAllowed",
    );
    assert.equal(
      code(claimsVerdict({ ...claims, platform: "virtual" }, policy, reportData)),
      "VirtualAttestationNotAllowed",
    );
  });

  it("takes any host data when the policy lists none", () => {
    const anyHost: CleanRoomPolicy = { measurements: [measurement], allowVirtual: false };
    assert.equal(
      code(claimsVerdict({ ...claims, hostData: "00".repeat(32) }, anyHost, reportData)),
      "ok",
    );
    const { hostData: _, ...noHost } = claims;
    assert.equal(code(claimsVerdict(noHost, anyHost, reportData)), "ok");
  });

  it("a nonce claims once, for its run, before it expires", () => {
    const record: NonceRecord = { nonce: "n1", issuedAt: 1000, expiresAt: 2000 };
    assert.equal(code(nonceVerdict(record, "n1", 1999)), "ok");
    assert.equal(code(nonceVerdict(record, "n1", 2000)), "NonceExpired");
    assert.equal(code(nonceVerdict(record, "n2", 1500)), "NonceUnknown");
    assert.equal(code(nonceVerdict(undefined, "n1", 1500)), "NonceUnknown");
    assert.equal(code(nonceVerdict({ ...record, usedAt: 1200 }, "n1", 1500)), "NonceUsed");
  });

  it("hands out the outstanding nonce until it is used or expires", () => {
    const record: NonceRecord = { nonce: "n1", issuedAt: 1000, expiresAt: 2000 };
    assert.equal(outstandingNonce(record, 1500), record);
    assert.equal(outstandingNonce(record, 2000), undefined);
    assert.equal(outstandingNonce({ ...record, usedAt: 1100 }, 1500), undefined);
    assert.equal(outstandingNonce(undefined, 1500), undefined);
  });

  it("a signed payload serves only the contract, run, purpose and subject it names", () => {
    const payload = { contractId: "c", runId: "r1", purpose: "key" as const, datasetId: "d" };
    const expected = {
      contractId: "c",
      runId: "r1",
      purpose: "key" as const,
      fields: { datasetId: "d" },
    };
    assert.equal(code(payloadVerdict(payload, expected)), "ok");
    assert.equal(code(payloadVerdict(payload, { ...expected, runId: "r2" })), "PayloadMismatch");
    assert.equal(
      code(payloadVerdict(payload, { ...expected, contractId: "c2" })),
      "PayloadMismatch",
    );
    assert.equal(
      code(payloadVerdict(payload, { ...expected, purpose: "secret" })),
      "PayloadMismatch",
    );
    assert.equal(
      code(payloadVerdict(payload, { ...expected, fields: { datasetId: "e" } })),
      "PayloadMismatch",
    );
    const refused = payloadVerdict(payload, { ...expected, runId: "r2" });
    assert.ok(!refused.ok && refused.reason.includes('"r1"') && refused.status === 403);
  });
});
