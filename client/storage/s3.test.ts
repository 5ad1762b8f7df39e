import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";

import { freePort } from "../../test/support/azurite.js";
import { useS3Server } from "../../test/support/s3server.js";
import {
  interruptedSource,
  readAll,
  rejectsWith,
  storageConformance,
} from "../../test/support/storage-conformance.js";
import {
  createS3Grant,
  grantCredentials,
  openGrant,
  openStorage,
  s3GrantPolicy,
  S3Storage,
  type StorageBackend,
  type StorageCredentials,
} from "./index.js";

describe("client/storage S3 (s3rver)", function () {
  this.timeout(120_000);
  const s3 = useS3Server();
  const keys = (): StorageCredentials => ({
    kind: "s3-static",
    accessKeyId: s3().accessKeyId,
    secretAccessKey: s3().secretAccessKey,
  });
  const at = (bucket: string, prefix?: string) => ({
    kind: "s3" as const,
    endpoint: s3().endpoint,
    region: "us-east-1",
    bucket,
    prefix,
  });
  let store: StorageBackend;
  let sibling: StorageBackend;

  before(async () => {
    store = openStorage(at("datasets", "owner/sales"), keys());
    sibling = openStorage(at("datasets", "owner/other"), keys(), { blockSize: 5 << 20 });
    await store.create();
    await store.create(); // idempotent
  });
  after(() => {
    (store as S3Storage).close();
    (sibling as S3Storage).close();
  });

  describe("conformance", () => {
    storageConformance(
      () => store,
      () => sibling,
    );

    it("uses a multipart upload for big objects: interrupted, nothing is visible", async () => {
      const s3store = store as S3Storage;
      const data = Buffer.alloc(30 << 20, 5);
      // s3rver keeps multipart uploads in a folder of the bucket until completed. It does not
      // implement AbortMultipartUpload, so an interrupted upload's parts stay there (invisible to
      // readers); on AWS the SDK's abort deletes them.
      const uploads = join(s3().directory, "datasets", "._S3rver_uploads");
      const before = existsSync(uploads) ? readdirSync(uploads).length : 0;
      await assert.rejects(s3store.put("parts.bin", interruptedSource(data, 20 << 20)));
      assert.equal(readdirSync(uploads).length, before + 1, "no multipart upload was started");
      assert.equal(await s3store.exists("parts.bin"), false);
      assert.deepEqual(await s3store.list("parts"), []);
      await s3store.put("parts.bin", Readable.from([data]));
      assert.equal((await readAll(await s3store.get("parts.bin"))).length, data.length);
    });
  });

  it("reports a missing bucket as NotFound with what to do", async () => {
    const missing = openStorage(at("no-such-bucket"), keys());
    await rejectsWith(missing.list(), "NotFound");
    await rejectsWith(missing.get("x"), "NotFound");
    await rejectsWith(missing.exists("x"), "NotFound");
    await rejectsWith(missing.put("x", Readable.from([Buffer.from("x")])), "NotFound");
    await assert.rejects(missing.list(), /create the bucket/);
  });

  it("reports a closed port as Unreachable", async () => {
    const port = await freePort();
    const closed = openStorage(
      { kind: "s3", endpoint: `http://127.0.0.1:${port}`, bucket: "datasets" },
      keys(),
      { maxAttempts: 1 },
    );
    await rejectsWith(closed.get("a"), "Unreachable");
    await rejectsWith(closed.put("a", Readable.from([Buffer.from("x")])), "Unreachable");
    await rejectsWith(closed.list(), "Unreachable");
    await rejectsWith(closed.exists("a"), "Unreachable");
  });

  it("reports an unknown access key as AccessDenied, without the secret in the message", async () => {
    const secret = "wrong-secret-0123456789";
    const bad = openStorage(
      at("datasets", "owner/sales"),
      { kind: "s3-static", accessKeyId: "NOT-A-KEY", secretAccessKey: secret },
      { maxAttempts: 1 },
    );
    await rejectsWith(bad.get("replace.txt"), "AccessDenied");
    await rejectsWith(bad.put("y", Readable.from([Buffer.from("y")])), "AccessDenied");
    await assert.rejects(bad.list(), (e: Error) => !e.message.includes(secret));
  });

  it("rejects an invalid bucket name or endpoint as InvalidLocation", () => {
    for (const location of [at("Bad_Bucket"), at("ab"), { ...at("okay"), endpoint: "ftp://x" }]) {
      assert.throws(
        () => openStorage(location, keys()),
        (e: unknown) => (e as { code?: string }).code === "InvalidLocation",
      );
    }
  });

  describe("access grants (modelled: s3rver enforces no IAM)", () => {
    const expiresAt = new Date("2030-01-02T03:04:05.678Z");

    it("generates the IAM read policy for the bucket and prefix", () => {
      assert.deepEqual(s3GrantPolicy("sales-data", "owner/sales", "read", expiresAt), {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "ListDatasetObjects",
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: ["arn:aws:s3:::sales-data"],
            Condition: {
              DateLessThan: { "aws:CurrentTime": "2030-01-02T03:04:05.678Z" },
              StringLike: { "s3:prefix": ["owner/sales/*"] },
            },
          },
          {
            Sid: "ReadDatasetObjects",
            Effect: "Allow",
            Action: ["s3:GetObject"],
            Resource: ["arn:aws:s3:::sales-data/owner/sales/*"],
            Condition: { DateLessThan: { "aws:CurrentTime": "2030-01-02T03:04:05.678Z" } },
          },
        ],
      });
    });

    it("generates the IAM write policy: put and multipart only, no read, list or delete", () => {
      const policy = s3GrantPolicy("out-bucket", undefined, "write", expiresAt, "aws-cn");
      assert.deepEqual(policy.Statement, [
        {
          Sid: "WriteDatasetObjects",
          Effect: "Allow",
          Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
          Resource: ["arn:aws-cn:s3:::out-bucket/*"],
          Condition: { DateLessThan: { "aws:CurrentTime": "2030-01-02T03:04:05.678Z" } },
        },
      ]);
      const actions = JSON.stringify(policy);
      assert.ok(!/GetObject|DeleteObject|ListBucket"/.test(actions));
      // Read without a prefix lists the whole bucket, without a prefix condition.
      const read = s3GrantPolicy("b-1", "", "read", expiresAt);
      assert.deepEqual(read.Statement[0]?.Condition, {
        DateLessThan: { "aws:CurrentTime": "2030-01-02T03:04:05.678Z" },
      });
      assert.deepEqual(read.Statement[1]?.Resource, ["arn:aws:s3:::b-1/*"]);
    });

    it("a grant opens its location until it expires, then is refused", async () => {
      const grant = createS3Grant(
        at("datasets", "owner/sales"),
        { accessKeyId: s3().accessKeyId, secretAccessKey: s3().secretAccessKey },
        { access: "read", expiresAt: new Date(Date.now() + 3600_000) },
      );
      assert.equal(grant.kind, "s3-policy");
      assert.deepEqual(
        grant.policy,
        s3GrantPolicy("datasets", "owner/sales", "read", new Date(grant.expiresAt)),
      );
      const room = openGrant(grant);
      assert.equal((await readAll(await room.get("replace.txt"))).toString(), "second");
      (room as S3Storage).close();
      const later = new Date(Date.parse(grant.expiresAt) + 1000);
      assert.throws(
        () => grantCredentials(grant, later),
        (e: unknown) => (e as { code?: string }).code === "AccessDenied",
      );
      assert.throws(() =>
        createS3Grant(at("datasets"), grant.credentials, {
          access: "write",
          expiresAt: new Date(Date.now() - 1),
        }),
      );
    });
  });
});
