import assert from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
import {
  checkCounters,
  checkOutputDigests,
  decodeVirtualEvidence,
  encodeVirtualEvidence,
  parseAttestation,
  parseClaimRequest,
  parseSignedRequest,
  reportData,
  reportDataHex,
  runStatementText,
  type RunStatement,
} from "./attestation.js";

const sha256 = (data: Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest());
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = publicKey.export({ type: "spki", format: "pem" }).toString();

describe("contracts: attestation model", () => {
  it("report data is SHA-256(UTF-8 PEM) ‖ SHA-256(UTF-8 nonce)", () => {
    const nonce = "n-é-1";
    const expected = Buffer.concat([
      createHash("sha256").update(Buffer.from(pem, "utf8")).digest(),
      createHash("sha256").update(Buffer.from(nonce, "utf8")).digest(),
    ]);
    assert.deepEqual(Buffer.from(reportData(pem, nonce, sha256)), expected);
    assert.equal(reportDataHex(pem, nonce, sha256), expected.toString("hex"));
    assert.notEqual(reportDataHex(pem, "other", sha256), expected.toString("hex"));
  });

  it("virtual evidence is base64 of UTF-8 JSON and decodes back, hex lower-cased", () => {
    const claims = {
      measurement: "AB".repeat(48),
      hostData: "cd".repeat(32),
      reportData: "0e".repeat(64),
    };
    const attestation = encodeVirtualEvidence(claims);
    assert.equal(attestation.platform, "virtual");
    assert.deepEqual(
      JSON.parse(Buffer.from(attestation.evidence, "base64").toString("utf8")),
      claims,
    );
    const decoded = decodeVirtualEvidence(attestation);
    assert.deepEqual(decoded, {
      ok: true,
      value: {
        measurement: "ab".repeat(48),
        hostData: "cd".repeat(32),
        reportData: "0e".repeat(64),
      },
    });
    const noHost = decodeVirtualEvidence(
      encodeVirtualEvidence({ measurement: "01", reportData: "00".repeat(64) }),
    );
    assert.ok(noHost.ok && noHost.value.hostData === undefined);
  });

  it("refuses virtual evidence that is not JSON or has bad fields", () => {
    const bad = (evidence: string) => decodeVirtualEvidence({ platform: "virtual", evidence });
    assert.match(String((bad(b64("not json")) as { reason: string }).reason), /JSON object/);
    assert.match(String((bad(b64("[1]")) as { reason: string }).reason), /JSON object/);
    const short = bad(b64(JSON.stringify({ measurement: "01", reportData: "00".repeat(32) })));
    assert.deepEqual(short, {
      ok: false,
      reason: "virtual evidence: reportData must be 64 bytes (128 hex digits)",
    });
    const odd = bad(b64(JSON.stringify({ measurement: "012", reportData: "00".repeat(64) })));
    assert.equal(odd.ok, false);
    const host = bad(
      b64(JSON.stringify({ measurement: "01", hostData: 5, reportData: "00".repeat(64) })),
    );
    assert.equal(host.ok, false);
  });

  it("parses SNP and virtual attestation shapes and refuses others", () => {
    const snp = parseAttestation({ platform: "snp", evidence: "AAAA", endorsements: "QUJD" });
    assert.deepEqual(snp, {
      ok: true,
      value: { platform: "snp", evidence: "AAAA", endorsements: "QUJD" },
    });
    const uvm = parseAttestation({
      platform: "snp",
      evidence: "AAAA",
      endorsements: "QUJD",
      uvmEndorsements: "AAAA",
    });
    assert.ok(uvm.ok && uvm.value.platform === "snp" && uvm.value.uvmEndorsements === "AAAA");
    assert.equal(parseAttestation({ platform: "snp", evidence: "AAAA" }).ok, false);
    assert.equal(
      parseAttestation({ platform: "snp", evidence: "!!", endorsements: "QUJD" }).ok,
      false,
    );
    assert.equal(parseAttestation({ platform: "sgx", evidence: "AAAA" }).ok, false);
    assert.equal(parseAttestation("AAAA").ok, false);
    assert.equal(parseAttestation({ platform: "virtual", evidence: "A".repeat(65540) }).ok, false);
  });

  it("parses claim requests: attestation, an SPKI PEM and a nonce", () => {
    const attestation = { platform: "virtual", evidence: "AAAA" };
    assert.ok(parseClaimRequest({ attestation, publicKeyPem: pem, nonce: "n" }).ok);
    assert.equal(parseClaimRequest({ attestation, publicKeyPem: "x", nonce: "n" }).ok, false);
    assert.equal(parseClaimRequest({ attestation, publicKeyPem: pem, nonce: "" }).ok, false);
    assert.equal(parseClaimRequest({ attestation, publicKeyPem: pem }).ok, false);
    assert.equal(parseClaimRequest([]).ok, false);
  });

  it("parses signed requests: payload text naming contract, run and purpose", () => {
    const payload = JSON.stringify({ contractId: "c", runId: "r", purpose: "key", datasetId: "d" });
    const parsed = parseSignedRequest({ payload, signature: "AAAA" });
    assert.ok(parsed.ok);
    assert.equal(parsed.value.request.payload, payload);
    assert.equal(parsed.value.payload["datasetId"], "d");
    const refuse = (body: unknown) =>
      assert.equal(parseSignedRequest(body).ok, false, JSON.stringify(body));
    refuse({ payload, signature: "not base64!" });
    refuse({ payload: "{", signature: "AAAA" });
    refuse({ payload: "[]", signature: "AAAA" });
    refuse({ payload: JSON.stringify({ runId: "r", purpose: "key" }), signature: "AAAA" });
    refuse({
      payload: JSON.stringify({ contractId: "c", runId: "r", purpose: "steal" }),
      signature: "AAAA",
    });
    refuse({ payload: { contractId: "c" }, signature: "AAAA" });
  });

  it("checks counters and output digests", () => {
    assert.equal(checkCounters({ "input:a": 3, output: 0 }, "rowCounts"), undefined);
    assert.match(String(checkCounters({ a: -1 }, "rowCounts")), /non-negative/);
    assert.match(String(checkCounters({ "bad name": 1 }, "rowCounts")), /invalid name/);
    assert.match(String(checkCounters([], "rowCounts")), /object/);
    const digest = { datasetId: "out", object: "part-0.enc", sha256: "a".repeat(64) };
    assert.equal(checkOutputDigests([digest]), undefined);
    assert.match(String(checkOutputDigests([{ ...digest, sha256: "A".repeat(64) }])), /sha256/);
    assert.match(String(checkOutputDigests([{ ...digest, object: "" }])), /object/);
    assert.match(String(checkOutputDigests({})), /array/);
  });

  it("the statement text has a fixed field order whatever the input's order", () => {
    const statement: RunStatement = {
      completedAt: "2026-01-01T00:00:00.000Z",
      attestationDigest: "d".repeat(64),
      measurement: "ab",
      platform: "virtual",
      outputDigests: [{ sha256: "e".repeat(64), object: "o", datasetId: "out" }],
      inputs: [{ view: "v", datasetId: "in", datasetVersion: "2.7" }],
      queryVersion: "1",
      queryId: "q",
      runId: "r",
      contractId: "c",
    };
    const text = runStatementText(statement);
    assert.deepEqual(Object.keys(JSON.parse(text)), [
      "contractId",
      "runId",
      "queryId",
      "queryVersion",
      "inputs",
      "outputDigests",
      "platform",
      "measurement",
      "attestationDigest",
      "completedAt",
    ]);
    assert.ok(text.includes('"inputs":[{"datasetId":"in","view":"v","datasetVersion":"2.7"}]'));
    const withHost = JSON.parse(runStatementText({ ...statement, hostData: "cd" })) as object;
    assert.deepEqual(Object.keys(withHost).slice(7), [
      "measurement",
      "hostData",
      "attestationDigest",
      "completedAt",
    ]);
  });
});
