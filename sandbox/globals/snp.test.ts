import assert from "node:assert/strict";
import {
  DEFAULT_TCB,
  generateSnpEvidence,
  makeUvmEndorsements,
  signReport,
  snpTestKeys,
  tcbHexOf,
  toArrayBuffer,
  type SnpEvidence,
  type SnpEvidenceOptions,
} from "../../test/support/snp-evidence.js";
import { Opaque, type HostValue } from "../quickjs/marshal.js";
import {
  CCF_DEFAULT_SNP_TRUST,
  verifySnpAttestation,
  verifySnpAttestationCall,
  type SnpTrust,
} from "./snp.js";

type Obj = { [key: string]: HostValue };

interface Call {
  trust?: SnpTrust;
  evidence?: unknown;
  endorsements?: unknown;
  uvm?: unknown;
  endorsedTcb?: unknown;
}

/** Calls the host function as the interpreter would, with ArrayBuffers. */
function verify(e: SnpEvidence, call: Call = {}): Obj {
  const uvm =
    "uvm" in call
      ? call.uvm
      : e.uvmEndorsements === undefined
        ? undefined
        : toArrayBuffer(e.uvmEndorsements);
  return verifySnpAttestation(
    call.trust ?? e.trust,
    "evidence" in call ? call.evidence : toArrayBuffer(e.evidence),
    "endorsements" in call ? call.endorsements : toArrayBuffer(e.endorsementsBytes),
    uvm,
    call.endorsedTcb,
  ) as Obj;
}

function refuses(run: () => unknown, message: RegExp | string, type = RangeError): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

const bytes = (text: string) => new TextEncoder().encode(text);
const flip = (data: Uint8Array, at: number) => {
  const copy = Uint8Array.from(data);
  copy[at]! ^= 0x01;
  return copy;
};

describe("snp_attestation.verifySnpAttestation (host)", function () {
  let good: SnpEvidence;
  let withUvm: SnpEvidence;

  before(async function () {
    good = await generateSnpEvidence({
      measurement: Uint8Array.from({ length: 48 }, (_, i) => 0xa0 ^ i),
      reportData: Uint8Array.from({ length: 64 }, (_, i) => i),
      hostData: Uint8Array.from({ length: 32 }, (_, i) => 0xff - i),
    });
    withUvm = await generateSnpEvidence({ uvm: {} });
  });

  async function evidence(options: SnpEvidenceOptions): Promise<SnpEvidence> {
    return generateSnpEvidence(options);
  }

  describe("a good report", function () {
    it("is accepted and parsed field by field as CCF presents it", function () {
      const result = verify(good);
      assert.deepEqual(Object.keys(result), ["attestation"]);
      const a = result.attestation as Obj;
      const f = good.fields;
      assert.equal(a.version, f.version);
      assert.equal(a.guest_svn, f.guestSvn);
      assert.deepEqual(a.policy, {
        abi_minor: 0x55,
        abi_major: 1,
        smt: 1,
        migrate_ma: 0,
        debug: 0,
        single_socket: 0,
      });
      assert.deepEqual(a.family_id, f.familyId);
      assert.deepEqual(a.image_id, f.imageId);
      assert.equal(a.vmpl, 0);
      assert.equal(a.signature_algo, 1);
      const tcb = { boot_loader: 4, tee: 0, snp: 24, microcode: 219 };
      assert.deepEqual(a.platform_version, tcb);
      // CCF's key is misspelt in every version; the typings' `platform_info` does not exist.
      assert.deepEqual(a.plaform_info, { smt_en: 1, tsme_en: 0 });
      assert.equal("platform_info" in a, false);
      assert.deepEqual(a.flags, { author_key_en: 0, mask_chip_key: 0, signing_key: 0 });
      assert.deepEqual(a.report_data, f.reportData);
      assert.deepEqual(a.measurement, f.measurement);
      assert.deepEqual(a.host_data, f.hostData);
      assert.deepEqual(a.id_key_digest, f.idKeyDigest);
      assert.deepEqual(a.author_key_digest, f.authorKeyDigest);
      assert.deepEqual(a.report_id, f.reportId);
      assert.deepEqual(a.report_id_ma, f.reportIdMa);
      assert.deepEqual(a.reported_tcb, tcb);
      assert.equal(a.cpuid_fam_id, 0x19);
      assert.equal(a.cpuid_mod_id, 0x01);
      assert.equal(a.cpuid_step, 1);
      assert.deepEqual(a.chip_id, f.chipId);
      assert.deepEqual(a.committed_tcb, tcb);
      // CCF's struct names the bytes at 0x1E8/0x1E9 the other way round from AMD's spec.
      assert.equal(a.current_minor, f.currentBuild);
      assert.equal(a.current_build, f.currentMinor);
      assert.equal(a.current_major, f.currentMajor);
      assert.equal(a.committed_build, f.committedBuild);
      assert.equal(a.committed_minor, f.committedMinor);
      assert.equal(a.committed_major, f.committedMajor);
      assert.deepEqual(a.launch_tcb, tcb);
      const signature = a.signature as Obj;
      assert.deepEqual(signature.r, good.evidence.slice(0x2a0, 0x2a0 + 72));
      assert.deepEqual(signature.s, good.evidence.slice(0x2e8, 0x2e8 + 72));
      assert.equal((signature.r as Uint8Array).length, 72);
    });

    it("reads every report field from its own offset", async function () {
      const e = await evidence({
        fields: {
          guestSvn: 0x01020304,
          policy: 0x130000n | 0x0203n, // smt, reserved bit 17, single_socket; abi 2.3
          vmpl: 3,
          platformInfo: 0b10n,
          flags: 0b1,
          platformVersion: Uint8Array.of(1, 2, 0, 0, 0, 0, 3, 4),
          committedTcb: Uint8Array.of(5, 6, 0, 0, 0, 0, 7, 8),
          launchTcb: Uint8Array.of(9, 10, 0, 0, 0, 0, 11, 12),
          currentBuild: 31,
          currentMinor: 32,
          currentMajor: 33,
          committedBuild: 34,
          committedMinor: 35,
          committedMajor: 36,
        },
      });
      const a = verify(e).attestation as Obj;
      assert.equal(a.guest_svn, 0x01020304);
      assert.deepEqual(a.policy, {
        abi_minor: 3,
        abi_major: 2,
        smt: 1,
        migrate_ma: 0,
        debug: 0,
        single_socket: 1,
      });
      assert.equal(a.vmpl, 3);
      assert.deepEqual(a.plaform_info, { smt_en: 0, tsme_en: 1 });
      assert.deepEqual(a.flags, { author_key_en: 1, mask_chip_key: 0, signing_key: 0 });
      assert.deepEqual(a.platform_version, { boot_loader: 1, tee: 2, snp: 3, microcode: 4 });
      assert.deepEqual(a.committed_tcb, { boot_loader: 5, tee: 6, snp: 7, microcode: 8 });
      assert.deepEqual(a.launch_tcb, { boot_loader: 9, tee: 10, snp: 11, microcode: 12 });
      assert.deepEqual(
        [a.current_minor, a.current_build, a.current_major],
        [31, 32, 33], // CCF's names for AMD's CURRENT_BUILD, CURRENT_MINOR, CURRENT_MAJOR
      );
      assert.deepEqual([a.committed_build, a.committed_minor, a.committed_major], [34, 35, 36]);
    });

    it("accepts Genoa and Turin reports with their own TCB layouts", async function () {
      const genoa = await evidence({ product: "Genoa" });
      const g = verify(genoa).attestation as Obj;
      assert.equal(g.cpuid_mod_id, 0x11);
      assert.deepEqual(g.reported_tcb, { boot_loader: 10, tee: 0, snp: 23, microcode: 84 });

      // Turin: fmc, boot_loader, tee, snp in bytes 0-3. CCF 6.x shows it in the Milan layout.
      const turin = await evidence({ product: "Turin" });
      const t = verify(turin).attestation as Obj;
      assert.equal(t.cpuid_fam_id, 0x1a);
      assert.deepEqual(t.reported_tcb, { boot_loader: 1, tee: 2, snp: 0, microcode: 5 });
    });

    it("returns the UVM endorsements when given and trusted", function () {
      const result = verify(withUvm);
      assert.deepEqual(result.uvm_endorsements, {
        did: withUvm.uvm!.did,
        feed: "ContainerPlat-AMD-UVM",
        svn: "101",
      });
      assert.match(withUvm.uvm!.did, /^did:x509:0:sha256:[A-Za-z0-9_-]{43}::eku:/);
    });

    it("accepts RSA-PSS (PS384) UVM endorsements and a numeric guest SVN", async function () {
      const e = await evidence({ uvm: { alg: "PS384", svn: 5 } });
      assert.deepEqual(verify(e).uvm_endorsements, {
        did: e.uvm!.did,
        feed: "ContainerPlat-AMD-UVM",
        svn: "5",
      });
    });

    it("accepts an endorsed_tcb equal to the reported TCB, in CCF's hex notation", function () {
      const hex = tcbHexOf(DEFAULT_TCB.Milan, "Milan");
      assert.equal(hex, "db18000000000004");
      assert.ok(verify(good, { endorsedTcb: hex }).attestation);
      assert.ok(verify(good, { endorsedTcb: hex.toUpperCase() }).attestation);
    });

    it("accepts host-side Uint8Array arguments", function () {
      const result = verifySnpAttestation(good.trust, good.evidence, good.endorsementsBytes);
      assert.ok((result as Obj).attestation);
    });
  });

  describe("trust", function () {
    it("CCF's default trust refuses a generated root, naming both keys", async function () {
      const keys = await snpTestKeys();
      refuses(
        () => verify(good, { trust: CCF_DEFAULT_SNP_TRUST }),
        /^SEV-SNP: The root of trust public key for this attestation was not the expected one for v3 25 1: {2}-----BEGIN PUBLIC KEY-----/,
      );
      assert.throws(
        () => verify(good, { trust: CCF_DEFAULT_SNP_TRUST }),
        (error: Error) =>
          error.message.includes(keys.arkPublicPem) &&
          error.message.includes(CCF_DEFAULT_SNP_TRUST.amdRootKeys.Milan!),
      );
    });

    it("refuses an ARK that is not the trusted key", async function () {
      const e = await evidence({ arkKey: "rogue" });
      refuses(
        () => verify(e),
        /The root of trust public key for this attestation was not the expected one/,
      );
    });

    it("refuses a product with no trusted root", async function () {
      const e = await evidence({ product: "Genoa" });
      refuses(
        () =>
          verify(e, {
            trust: { amdRootKeys: { Milan: e.trust.amdRootKeys.Genoa! }, uvmRootsOfTrust: [] },
          }),
        "SEV-SNP: Unsupported CPUID family 25 model 17",
      );
    });

    it("refuses an unknown CPUID family/model", async function () {
      const e = await evidence({ fields: { cpuidFamily: 0x17, cpuidModel: 0x31 } });
      refuses(() => verify(e), "SEV-SNP: Unsupported CPUID family 23 model 49");
    });
  });

  describe("refuses a bad report", function () {
    it("with a tampered byte", function () {
      const tampered = flip(good.evidence, 0x90); // first byte of MEASUREMENT
      refuses(
        () => verify(good, { evidence: toArrayBuffer(tampered) }),
        "SEV-SNP: Chip certificate (VCEK) did not sign this attestation",
      );
    });

    it("with a tampered signature", function () {
      refuses(
        () => verify(good, { evidence: toArrayBuffer(flip(good.evidence, 0x2a0 + 5)) }),
        "SEV-SNP: Chip certificate (VCEK) did not sign this attestation",
      );
      // Bytes above the 48 a P-384 value can use make r out of range.
      refuses(
        () => verify(good, { evidence: toArrayBuffer(flip(good.evidence, 0x2a0 + 60)) }),
        "SEV-SNP: Chip certificate (VCEK) did not sign this attestation",
      );
    });

    it("endorsed by another chip's VCEK", async function () {
      const other = await evidence({});
      const endorsements = other.pem.vcek + good.pem.ask + good.pem.ark;
      refuses(
        () => verify(good, { endorsements: toArrayBuffer(bytes(endorsements)) }),
        "SEV-SNP: Chip certificate (VCEK) did not sign this attestation",
      );
    });

    it("whose VCEK is not signed by the ASK", async function () {
      const e = await evidence({ vcekSignedBy: "rogue" });
      refuses(
        () => verify(e),
        "SEV-SNP: The chain of signatures from the root of trust to this attestation is broken",
      );
    });

    it("whose VCEK has expired or is not yet valid", async function () {
      const day = 24 * 60 * 60 * 1000;
      const broken =
        "SEV-SNP: The chain of signatures from the root of trust to this attestation is broken";
      const expired = await evidence({
        vcekValidity: {
          notBefore: new Date(Date.now() - 10 * day),
          notAfter: new Date(Date.now() - day),
        },
      });
      refuses(() => verify(expired), broken);
      const early = await evidence({
        vcekValidity: {
          notBefore: new Date(Date.now() + day),
          notAfter: new Date(Date.now() + 10 * day),
        },
      });
      refuses(() => verify(early), broken);
    });

    it("whose ASK is not signed by the ARK", async function () {
      const e = await evidence({ askSignedBy: "rogue" });
      refuses(
        () => verify(e),
        "SEV-SNP: The chain of signatures from the root of trust to this attestation is broken",
      );
    });

    it("whose certificates come in the wrong order", function () {
      const endorsements = good.pem.ask + good.pem.vcek + good.pem.ark;
      refuses(
        () => verify(good, { endorsements: toArrayBuffer(bytes(endorsements)) }),
        /chain of signatures from the root of trust to this attestation is broken|did not sign/,
      );
    });

    it("that is truncated or too long", function () {
      refuses(
        () => verify(good, { evidence: toArrayBuffer(good.evidence.slice(0, 1000)) }),
        "Input SEV-SNP attestation report is not of expected size 1184: 1000",
      );
      refuses(
        () => verify(good, { evidence: new ArrayBuffer(1185) }),
        "Input SEV-SNP attestation report is not of expected size 1184: 1185",
      );
      refuses(
        () => verify(good, { evidence: new ArrayBuffer(0) }),
        "Input SEV-SNP attestation report is not of expected size 1184: 0",
      );
    });

    it("with bad PEM endorsements", function () {
      const twoCerts = good.pem.vcek + good.pem.ask;
      refuses(
        () => verify(good, { endorsements: toArrayBuffer(bytes(twoCerts)) }),
        "Expected 3 endorsement certificates but got 2",
      );
      refuses(
        () => verify(good, { endorsements: toArrayBuffer(bytes("not a certificate")) }),
        "Expected 3 endorsement certificates but got 0",
      );
      const garbled = (pem: string) =>
        pem.replace(/\n[A-Za-z0-9+/]{64}\n/, "\n" + "!".repeat(64) + "\n");
      refuses(
        () =>
          verify(good, {
            endorsements: toArrayBuffer(
              bytes(good.pem.vcek + good.pem.ask + garbled(good.pem.ark)),
            ),
          }),
        /^OpenSSL error: /,
      );
      refuses(
        () =>
          verify(good, {
            endorsements: toArrayBuffer(
              bytes(garbled(good.pem.vcek) + good.pem.ask + good.pem.ark),
            ),
          }),
        /^OpenSSL error: /,
      );
      refuses(
        () =>
          verify(good, {
            endorsements: toArrayBuffer(
              bytes(good.pem.vcek + garbled(good.pem.ask) + good.pem.ark),
            ),
          }),
        "SEV-SNP: The chain of signatures from the root of trust to this attestation is broken",
      );
    });

    it("whose reported TCB is below the TCB its VCEK endorses", async function () {
      const e = await evidence({ vcekTcb: { ...DEFAULT_TCB.Milan, snp: 25 } });
      refuses(
        () => verify(e),
        'SEV-SNP: Reported TCB {"boot_loader":4,"hexstring":"db18000000000004","microcode":219,"snp":24,"tee":0} does not meet or exceed the endorsed TCB "db19000000000004"',
      );
      const microcode = await evidence({ vcekTcb: { ...DEFAULT_TCB.Milan, microcode: 220 } });
      refuses(
        () => verify(microcode),
        /does not meet or exceed the endorsed TCB "dc18000000000004"/,
      );
      const turin = await evidence({ product: "Turin", vcekTcb: { ...DEFAULT_TCB.Turin, fmc: 2 } });
      refuses(
        () => verify(turin),
        /"fmc":1,.*does not meet or exceed the endorsed TCB "0500000004030202"/,
      );
    });

    it("but accepts a reported TCB above the endorsed one, or a VCEK without TCB extensions", async function () {
      const above = await evidence({ vcekTcb: { ...DEFAULT_TCB.Milan, snp: 20 } });
      assert.ok(verify(above).attestation);
      const none = await evidence({ vcekTcb: null, vcekChipId: null });
      assert.ok(verify(none).attestation);
    });

    it("whose chip ID is not the one its VCEK endorses", async function () {
      const e = await evidence({ vcekChipId: new Uint8Array(64).fill(7) });
      refuses(
        () => verify(e),
        /^SEV-SNP: Chip ID in attestation does not match endorsed chip ID: 0707/,
      );
    });

    it("whose TCB is not the endorsed_tcb given", function () {
      refuses(
        () => verify(good, { endorsedTcb: "db17000000000004" }),
        "SEV-SNP: endorsed TCB db17000000000004 does not match reported TCB db18000000000004",
      );
      refuses(
        () => verify(good, { endorsedTcb: "0000000000000000" }),
        /endorsed TCB 0000000000000000 does not match reported TCB/,
      );
      refuses(() => verify(good, { endorsedTcb: "db18" }), "Invalid TCB version data size: 2");
      refuses(
        () => verify(good, { endorsedTcb: "abc" }),
        "Input string 'abc' is not of even length: 3",
      );
      refuses(() => verify(good, { endorsedTcb: "zz18000000000004" }), /is not valid hex/);
      // A number is converted to a string, as CCF's to_str does.
      refuses(() => verify(good, { endorsedTcb: 5 }), "Input string '5' is not of even length: 1");
    });

    it("whose fields CCF rejects", async function () {
      const cases: Array<[SnpEvidenceOptions["fields"], string]> = [
        [{ version: 1 }, "SEV-SNP: Attestation version is 1 not >= expected minimum 2"],
        [{ flags: 1 << 2 }, "SEV-SNP: Attestation report must be signed by VCEK: 1"],
        [{ flags: 1 << 1 }, "SEV-SNP: Mask chip key must not be set"],
        [{ vmpl: 4 }, "SEV-SNP: VMPL for guest attestations must be in 0-3 range, not 4"],
        [{ signatureAlgo: 2 }, "SEV-SNP: Unsupported signature algorithm: 2 (supported: 1)"],
        [
          { policy: 0x30000n | (1n << 19n) },
          "SEV-SNP: SNP attestation report guest policy debugging must not be enabled",
        ],
        [{ policy: 0x30000n | (1n << 18n) }, "SEV-SNP: Migration agents must not be enabled"],
      ];
      for (const [fields, message] of cases) {
        const e = await evidence({ fields });
        refuses(() => verify(e), message);
      }
    });

    it("re-signed by its own VCEK after a change, if the change is a refused one", function () {
      const altered = Uint8Array.from(good.evidence);
      altered[0x008 + 2]! |= 1 << 3; // DEBUG
      signReport(altered, good.vcekKey);
      refuses(
        () => verify(good, { evidence: toArrayBuffer(altered) }),
        "SEV-SNP: SNP attestation report guest policy debugging must not be enabled",
      );
    });
  });

  describe("refuses bad UVM endorsements", function () {
    it("for another measurement", async function () {
      const e = await evidence({ uvm: { measurement: "ab".repeat(48) } });
      refuses(
        () => verify(e),
        `Launch measurement in UVM endorsements payload ${"ab".repeat(48)} is not equal to UVM attestation measurement ${Buffer.from(e.fields.measurement).toString("hex")}`,
      );
    });

    it("with a bad signature", function () {
      const uvm = withUvm.uvmEndorsements!;
      refuses(
        () => verify(withUvm, { uvm: toArrayBuffer(flip(uvm, uvm.length - 1)) }),
        "Signature verification failed",
      );
    });

    it("from an issuer that is not a root of trust", function () {
      const trust = (did: string, feed: string, svn: string): SnpTrust => ({
        amdRootKeys: withUvm.trust.amdRootKeys,
        uvmRootsOfTrust: [{ did, feed, svn }],
      });
      const { did, feed } = withUvm.uvm!;
      const notTrusted =
        /^UVM endorsements did did:x509:.*, feed ContainerPlat-AMD-UVM, svn 101 do not match any of the known UVM roots of trust$/;
      refuses(
        () => verify(withUvm, { trust: trust(did.replace(/eku:.*/, "eku:1.2.3.4"), feed, "1") }),
        notTrusted,
      );
      refuses(() => verify(withUvm, { trust: trust(did, "ConfAKS-AMD-UVM", "1") }), notTrusted);
      refuses(() => verify(withUvm, { trust: trust(did, feed, "102") }), notTrusted);
      // The SVN is compared as a number, not as text ("101" < "20" as strings).
      assert.ok(verify(withUvm, { trust: trust(did, feed, "20") }).uvm_endorsements);
      assert.ok(verify(withUvm, { trust: trust(did, feed, "101") }).uvm_endorsements);
      refuses(
        () => verify(withUvm, { trust: trust(did, feed, "x") }),
        "Unable to parse svn value x to unsigned in UVM root of trust",
      );
      // CCF's default roots do not know the generated issuer.
      refuses(
        () =>
          verify(withUvm, {
            trust: { ...CCF_DEFAULT_SNP_TRUST, amdRootKeys: withUvm.trust.amdRootKeys },
          }),
        notTrusted,
      );
    });

    it("whose SVN is below the root's", async function () {
      const e = await evidence({ uvm: { svn: "99" } });
      refuses(
        () =>
          verify(e, {
            trust: {
              ...e.trust,
              uvmRootsOfTrust: [{ ...e.trust.uvmRootsOfTrust[0]!, svn: "100" }],
            },
          }),
        /svn 99 do not match any of the known UVM roots of trust/,
      );
    });

    it("whose issuer DID does not resolve against the signing chain", async function () {
      const wrongFingerprint = await evidence({
        uvm: { iss: `did:x509:0:sha256:${"A".repeat(43)}::eku:1.3.6.1.4.1.311.76.59.1.2` },
      });
      refuses(() => verify(wrongFingerprint), "invalid certificate fingerprint");
      // The generated chain's DID with eku ...1.2, presented with a leaf whose EKU is ...1.5.
      const did = (await makeUvmEndorsements(new Uint8Array(48))).did;
      const forged = await evidence({ uvm: { eku: "1.3.6.1.4.1.311.76.59.1.5", iss: did } });
      refuses(() => verify(forged), "EKU not found: 1.3.6.1.4.1.311.76.59.1.2");
      const notX509 = await evidence({ uvm: { iss: "did:web:example.com" } });
      refuses(() => verify(notX509), "invalid DID string");
    });

    it("with the wrong content type or payload", async function () {
      const contentType = await evidence({ uvm: { contentType: "text/plain" } });
      refuses(
        () => verify(contentType),
        "Unexpected payload content type text/plain, expected application/json",
      );
      const notJson = await evidence({ uvm: { payload: bytes("{not json") } });
      refuses(() => verify(notJson), /^\[json.exception.parse_error.101\] parse error/);
      const noMeasurement = await evidence({
        uvm: { payload: bytes('{"x-ms-sevsnpvm-guestsvn":"1"}') },
      });
      refuses(
        () => verify(noMeasurement),
        "[json.exception.type_error.302] type must be string, but is null",
      );
      const badSvn = await evidence({ uvm: { svn: "v1" } });
      refuses(
        () => verify(badSvn),
        "Unable to parse sevsnpvm_guest_svn value v1 to unsigned in UVM endorsements payload",
      );
      const negativeSvn = await evidence({ uvm: { svn: -1 } });
      refuses(
        () => verify(negativeSvn),
        "Unexpected type number for sevsnpvm_guest_svn in UVM endorsements payload, expected string or unsigned integer",
      );
    });

    it("that are not COSE_Sign1", function () {
      refuses(
        () => verify(withUvm, { uvm: toArrayBuffer(bytes("garbage")) }),
        /^Failed to parse COSE_Sign1/,
      );
      refuses(() => verify(withUvm, { uvm: new ArrayBuffer(0) }), /^Failed to parse COSE_Sign1/);
      // An untagged array.
      refuses(
        () => verify(withUvm, { uvm: toArrayBuffer(Uint8Array.of(0x84, 0x40, 0xa0, 0x40, 0x40)) }),
        "Failed to parse COSE_Sign1 tag",
      );
    });
  });

  describe("arguments", function () {
    it("must be ArrayBuffers (TypeError, as QuickJS's JS_GetArrayBuffer)", function () {
      const expected = "ArrayBuffer object expected";
      refuses(() => verify(good, { evidence: "report" }), expected, TypeError);
      refuses(() => verify(good, { evidence: undefined }), expected, TypeError);
      refuses(() => verify(good, { evidence: new Opaque("object") }), expected, TypeError);
      refuses(() => verify(good, { endorsements: null }), expected, TypeError);
      refuses(() => verify(good, { endorsements: good.endorsements }), expected, TypeError);
      refuses(() => verify(withUvm, { uvm: new Opaque("object") }), expected, TypeError);
      refuses(() => verify(withUvm, { uvm: {} }), expected, TypeError);
    });

    it("are counted as CCF counts them", function () {
      const args = [toArrayBuffer(good.evidence), toArrayBuffer(good.endorsementsBytes)];
      refuses(
        () => verifySnpAttestationCall(good.trust, args.slice(0, 1)),
        "Passed 1 arguments, but expected between 2 and 4",
        TypeError,
      );
      refuses(
        () => verifySnpAttestationCall(good.trust, [...args, undefined, undefined, 1]),
        "Passed 5 arguments, but expected between 2 and 4",
        TypeError,
      );
      const result = verifySnpAttestationCall(good.trust, [...args, undefined, undefined]) as Obj;
      assert.ok(result.attestation);
    });
  });
});
