import assert from "node:assert/strict";
import { resolve } from "node:path";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../errors.js";
import { ProfileStore } from "../../profile/store.js";
import { credentialsFor, describeLocation, parseLocation } from "./common.js";
import { parseDuration } from "./grant.js";

describe("dataset command helpers", () => {
  it("parses local, Azure (account and emulator URLs) and S3 locations", () => {
    assert.deepEqual(parseLocation("local:/data/x"), { kind: "local", path: "/data/x" });
    assert.deepEqual(parseLocation("local:data/x"), { kind: "local", path: resolve("data/x") });
    assert.deepEqual(parseLocation("azure:https://acct.blob.core.windows.net/sales/v1/a"), {
      kind: "azure-blob",
      accountUrl: "https://acct.blob.core.windows.net",
      container: "sales",
      prefix: "v1/a",
    });
    assert.deepEqual(parseLocation("azure:http://127.0.0.1:10000/devstoreaccount1/sales"), {
      kind: "azure-blob",
      accountUrl: "http://127.0.0.1:10000/devstoreaccount1",
      container: "sales",
    });
    assert.deepEqual(
      parseLocation("s3:bucket/p/q", { endpoint: "http://127.0.0.1:9000", region: "eu-west-1" }),
      {
        kind: "s3",
        endpoint: "http://127.0.0.1:9000",
        region: "eu-west-1",
        bucket: "bucket",
        prefix: "p/q",
      },
    );
    assert.equal(describeLocation(parseLocation("s3:bucket/p")), "s3:bucket/p");
    for (const bad of [
      "ftp:x",
      "local:",
      "azure:not a url",
      "azure:https://acct.blob.core.windows.net",
      "s3:",
    ]) {
      assert.throws(() => parseLocation(bad), UserError, bad);
    }
  });

  it("takes credentials from the options, and refuses S3 without them", () => {
    const azure = parseLocation("azure:http://127.0.0.1:10000/devstoreaccount1/sales");
    assert.deepEqual(credentialsFor(azure, { accountKey: "k" }), {
      kind: "azure-shared-key",
      accountName: "devstoreaccount1",
      accountKey: "k",
    });
    assert.deepEqual(credentialsFor(azure, { sas: "sv=1" }), { kind: "azure-sas", sas: "sv=1" });
    assert.deepEqual(credentialsFor(azure, {}), { kind: "none" });
    assert.throws(
      () => credentialsFor(parseLocation("s3:bucket"), { accessKeyId: "a" }),
      /no S3 credentials/,
    );
  });

  it("parses durations", () => {
    assert.equal(parseDuration("90s"), 90_000);
    assert.equal(parseDuration("1h"), 3_600_000);
    assert.equal(parseDuration("7d"), 7 * 86_400_000);
    for (const bad of ["0h", "1", "h", "1w", "-1h"])
      assert.throws(() => parseDuration(bad), UserError);
  });

  it("keeps dataset keys in the profile, mode 0600 in folders 0700", async () => {
    const home = mkdtempSync(join(tmpdir(), "cds-store-"));
    try {
      const store = new ProfileStore(home);
      const profile = await store.create("owner", { kind: "user" });
      assert.equal(store.readDatasetKey(profile, "c", "d"), undefined);
      const file = { contractId: "c", datasetId: "d", dek: "AAAA", document: {}, createdAt: "now" };
      store.writeDatasetKey(profile, file);
      const path = store.datasetKeyPath(profile, "c", "d");
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(join(path, "..")).mode & 0o777, 0o700);
      assert.deepEqual(store.readDatasetKey(profile, "c", "d"), file);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
