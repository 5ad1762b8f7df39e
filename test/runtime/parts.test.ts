/**
 * The runtime's parts that need no governance: its measurement, partition selection, grant
 * credentials, the run key (signing and unwrapping as governance wraps), failure reasons, and SEV-SNP
 * evidence from an attestation sidecar (a local HTTP server answering with generated evidence).
 */
import assert from "node:assert/strict";
import {
  constants,
  createCipheriv,
  createPublicKey,
  publicEncrypt,
  randomBytes,
  verify,
} from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GovernanceError } from "../../client/governance/transport.js";
import { AttestationError, snpEvidence, virtualEvidence } from "../../runtime/agent/attestation.js";
import { failureOf, RunError } from "../../runtime/agent/errors.js";
import { NextRunKey } from "../../runtime/agent/next-key.js";
import { RunKey } from "../../runtime/agent/runkey.js";
import {
  grantStorageCredentials,
  partitionOf,
  selectPartitions,
} from "../../runtime/agent/storage.js";
import { measureRuntime, runtimeManifest } from "../../runtime/index.js";
import { startSnpSidecar, type Sidecar } from "./sidecar.js";

describe("runtime parts", function () {
  describe("measurement", function () {
    let root: string;
    const write = (path: string, text: string) => {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), "cleanroom-measure-"));
      write("runtime/main.js", "main");
      write("runtime/agent/run.js", "run");
      write("client/format/stream.js", "stream");
      write("contracts/src/query.js", "query");
      write("cli/main.js", "not measured");
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it("is SHA-384 hex of a sorted manifest of the build's files and the configuration", () => {
      const config = { platform: "virtual" as const };
      const measurement = measureRuntime(root, config);
      assert.match(measurement, /^[0-9a-f]{96}$/);
      assert.equal(measureRuntime(root, config), measurement);
      const manifest = JSON.parse(runtimeManifest(root, config)) as {
        files: [string, string][];
        config: object;
      };
      assert.deepEqual(
        manifest.files.map(([path]) => path),
        [
          "client/format/stream.js",
          "contracts/src/query.js",
          "runtime/agent/run.js",
          "runtime/main.js",
        ],
      );
      assert.deepEqual(manifest.config, { platform: "virtual" });
    });

    it("changes with any measured file or setting, not with tests or other components", () => {
      const config = { platform: "virtual" as const };
      const before = measureRuntime(root, config);
      write("runtime/agent/run.test.js", "a test");
      write("cli/main.js", "changed, not measured");
      assert.equal(measureRuntime(root, config), before);
      assert.notEqual(measureRuntime(root, { platform: "snp" }), before);
      assert.notEqual(measureRuntime(root, { ...config, engine: { threads: 2 } }), before);
      // Key order does not matter; values do.
      assert.equal(
        measureRuntime(root, { engine: { threads: 2, memoryLimit: "1GB" }, platform: "virtual" }),
        measureRuntime(root, { platform: "virtual", engine: { memoryLimit: "1GB", threads: 2 } }),
      );
      // An option left out, undefined or an empty group measures the same.
      assert.equal(measureRuntime(root, { ...config, engine: {} }), before);
      assert.equal(
        measureRuntime(root, { ...config, engine: { threads: undefined, memoryLimit: undefined } }),
        before,
      );
      write("contracts/src/query.js", "query!");
      assert.notEqual(measureRuntime(root, config), before);
    });
  });

  describe("inputs", function () {
    it("parses Hive partitions and keeps the partition a run parameter names", () => {
      assert.deepEqual(partitionOf("date=2026-01-01/region=eu%20west/part-0.csv"), {
        date: "2026-01-01",
        region: "eu west",
      });
      assert.deepEqual(partitionOf("part-0.csv"), {});
      const objects = [
        { name: "date=2026-01-01/a.csv" },
        { name: "date=2026-01-02/a.csv" },
        { name: "date=2026-01-02/b.csv" },
      ];
      const names = (params: Record<string, unknown>, columns = ["date"]) =>
        selectPartitions(objects, columns, params).map((o) => o.name);
      assert.deepEqual(names({ date: "2026-01-02" }), [
        "date=2026-01-02/a.csv",
        "date=2026-01-02/b.csv",
      ]);
      assert.deepEqual(
        names({}),
        objects.map((o) => o.name),
      );
      assert.deepEqual(
        names({ date: "2026-01-02" }, []),
        objects.map((o) => o.name),
      );
      assert.deepEqual(names({ date: "2030-01-01" }), []);
    });

    it("reads grant values as the CLI writes them", () => {
      const s3 = { kind: "s3", bucket: "b" } as const;
      assert.deepEqual(
        grantStorageCredentials(
          s3,
          JSON.stringify({ accessKeyId: "k", secretAccessKey: "s", bucket: "b", access: "read" }),
          "d",
        ),
        { kind: "s3-static", accessKeyId: "k", secretAccessKey: "s" },
      );
      assert.deepEqual(
        grantStorageCredentials(
          { kind: "azure-blob", accountUrl: "http://a", container: "c" },
          "sv=1",
          "d",
        ),
        { kind: "azure-sas", sas: "sv=1" },
      );
      assert.throws(
        () => grantStorageCredentials(s3, "sv=1", "d"),
        (e: unknown) =>
          e instanceof RunError && e.code === "GrantInvalid" && !e.message.includes("sv=1"),
      );
    });
  });

  describe("run key and failures", function () {
    it("signs with RSA-PSS and unwraps RSA-OAEP-AES-KWP as governance wraps", async () => {
      const key = await RunKey.generate();
      const body = key.signed({ contractId: "c", runId: "r", purpose: "fail", reason: "x" });
      assert.ok(
        verify(
          "sha256",
          Buffer.from(body.payload),
          {
            key: createPublicKey(key.publicKeyPem),
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: 32,
          },
          Buffer.from(body.signature, "base64"),
        ),
      );
      const secret = randomBytes(32);
      const aes = randomBytes(32);
      const kwp = createCipheriv("id-aes256-wrap-pad", aes, Buffer.from("A65959A6", "hex"));
      const wrapped = Buffer.concat([
        publicEncrypt(
          { key: key.publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
          aes,
        ),
        kwp.update(secret),
        kwp.final(),
      ]);
      assert.deepEqual(key.unwrap(wrapped.toString("base64")), secret);
      // The journal's copy of the key is the same key.
      assert.deepEqual(
        RunKey.fromPem(key.privateKeyPem()).unwrap(wrapped.toString("base64")),
        secret,
      );
      const other = await RunKey.generate();
      assert.throws(() => other.unwrap(wrapped.toString("base64")));
    });

    it("hands each prepared key out once: no two runs share a key pair", async () => {
      const keys = new NextRunKey();
      await keys.ready();
      const first = await keys.take();
      const second = await keys.take(); // none prepared: made on demand
      await keys.ready();
      const third = await keys.take();
      const pems = [first, second, third].map((key) => key.publicKeyPem);
      assert.equal(new Set(pems).size, 3);
      for (const pem of pems) assert.match(pem, /^-----BEGIN PUBLIC KEY-----/);
    });

    it("reports governance's code and message, and only the kind of an unknown error", () => {
      assert.deepEqual(
        failureOf(new GovernanceError(403, "DatasetConsentOff", "Consent is off.")),
        {
          code: "DatasetConsentOff",
          reason: "DatasetConsentOff: Consent is off.",
        },
      );
      const unknown = failureOf(new TypeError("value 'alice@example.com' is wrong"));
      assert.equal(unknown.code, "RuntimeError");
      assert.ok(!unknown.reason.includes("alice"));
    });
  });

  describe("evidence", function () {
    let sidecar: Sidecar;
    const measurement = "5a".repeat(48);

    before(async () => {
      sidecar = await startSnpSidecar({ measurement });
    });
    after(() => sidecar.close());

    it("asks the SEV-SNP sidecar for a report carrying the report data", async () => {
      const data = randomBytes(64);
      const attestation = await snpEvidence(sidecar.url)(data);
      assert.equal(attestation.platform, "snp");
      const report = Buffer.from(attestation.evidence, "base64");
      assert.equal(report.length, 1184);
      assert.deepEqual(report.subarray(0x50, 0x90), data, "REPORT_DATA");
      assert.equal(report.subarray(0x90, 0xc0).toString("hex"), measurement, "MEASUREMENT");
    });

    it("refuses a sidecar that is down or answers without evidence", async () => {
      sidecar.broken = true;
      await assert.rejects(snpEvidence(sidecar.url)(randomBytes(64)), (error: unknown) => {
        assert.ok(error instanceof AttestationError);
        assert.match(failureOf(error).reason, /^AttestationUnavailable: the sidecar's answer/);
        return true;
      });
      await assert.rejects(snpEvidence("http://127.0.0.1:1")(randomBytes(64)), AttestationError);
    });

    it("makes virtual evidence stating the measurement", async () => {
      const data = randomBytes(64);
      const attestation = await virtualEvidence("ab".repeat(48))(data);
      assert.equal(attestation.platform, "virtual");
      assert.deepEqual(JSON.parse(Buffer.from(attestation.evidence, "base64").toString()), {
        measurement: "ab".repeat(48),
        reportData: data.toString("hex"),
      });
    });
  });
});
