/**
 * `snp_attestation.verifySnpAttestation` as an app calls it inside QuickJS, with evidence we
 * generate (an AMD-like ARK → ASK → VCEK chain and a signed report) and a sandbox told to trust
 * the generated root.
 */
import assert from "node:assert/strict";
import { generateSnpEvidence, type SnpEvidence } from "../support/snp-evidence.js";
import { startFixture, type FixtureSandbox } from "../support/fixture.js";

const hex = (bytes: Uint8Array | string) =>
  Buffer.from(typeof bytes === "string" ? Buffer.from(bytes) : bytes).toString("hex");

describe("sandbox: SEV-SNP attestation inside the app", function () {
  this.timeout(60_000);
  let f: FixtureSandbox;
  let good: SnpEvidence;

  before(async () => {
    good = await generateSnpEvidence({
      measurement: Buffer.alloc(48, 0xab),
      reportData: Buffer.alloc(64, 0x01),
      uvm: {},
    });
    f = await startFixture({ snpTrust: good.trust });
  });
  after(async () => f?.stop());

  const verify = (evidence: SnpEvidence, overrides: { evidence?: Uint8Array } = {}) =>
    f.client.request("/app/snp/verify", {
      body: {
        evidence: hex(overrides.evidence ?? evidence.evidence),
        endorsements: hex(evidence.endorsements),
        uvm: evidence.uvmEndorsements && hex(evidence.uvmEndorsements),
      },
    });

  it("accepts a good report and returns its fields and UVM endorsements", async () => {
    const reply = await verify(good);
    assert.equal(reply.status, 200, reply.text);
    const body = reply.json<{
      measurement: string;
      reportData: string;
      uvm: { did: string; feed: string; svn: string };
    }>();
    assert.equal(body.measurement, "ab".repeat(48));
    assert.equal(body.reportData, "01".repeat(64));
    assert.equal(body.uvm.did, good.uvm!.did);
    assert.equal(body.uvm.feed, good.uvm!.feed);
  });

  it("refuses a report with one byte changed", async () => {
    const tampered = Uint8Array.from(good.evidence);
    tampered[0x90]! ^= 0xff; // the measurement
    const reply = await verify(good, { evidence: tampered });
    assert.equal(reply.status, 400);
    assert.match(reply.json<{ error: string }>().error, /^RangeError: /);
  });

  it("refuses a chain whose root the sandbox does not trust", async () => {
    const rogue = await generateSnpEvidence({ arkKey: "rogue" });
    const reply = await verify(rogue);
    assert.equal(reply.status, 400);
    assert.match(reply.json<{ error: string }>().error, /^RangeError: /);
  });

  it("refuses UVM endorsements for another measurement", async () => {
    const other = await generateSnpEvidence({ uvm: { measurement: "cd".repeat(48) } });
    const reply = await verify({ ...good, uvmEndorsements: other.uvmEndorsements });
    assert.equal(reply.status, 400);
    assert.match(reply.json<{ error: string }>().error, /measurement/i);
  });
});
