/**
 * S3 grants minted by STS, against s3rver and the local STS stand-in (test/support/sts.ts): the
 * minted credentials open the bucket; each STS refusal becomes an StsError with a stable code.
 * s3rver enforces no IAM: the scope is asserted on the session policy sent to STS.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";

import { freePort } from "../../test/support/azurite.js";
import { useS3Server } from "../../test/support/s3server.js";
import { readAll } from "../../test/support/storage-conformance.js";
import { startSts, type StsStandIn } from "../../test/support/sts.js";
import {
  S3Storage,
  StsError,
  grantCredentials,
  mintS3Grant,
  partitionOf,
  s3GrantPolicy,
  stsDurationSeconds,
  stsSessionName,
  type S3Location,
  type StsErrorCode,
} from "./index.js";

const ROLE = "arn:aws:iam::123456789012:role/cleanroom-grants";

describe("client/storage S3 grants from STS (s3rver + STS stand-in)", function () {
  this.timeout(60_000);
  const s3 = useS3Server();
  let sts: StsStandIn;
  before(async () => {
    sts = await startSts();
  });
  after(async () => {
    await sts?.stop();
  });

  const at = (bucket: string, prefix?: string): S3Location => ({
    kind: "s3",
    endpoint: s3().endpoint,
    region: "us-east-1",
    bucket,
    ...(prefix === undefined ? {} : { prefix }),
  });
  const caller = () => ({ accessKeyId: s3().accessKeyId, secretAccessKey: s3().secretAccessKey });
  const inAnHour = () => new Date(Date.now() + 3600_000);
  const refusedWith = (code: StsErrorCode, message: RegExp) => (e: unknown) =>
    e instanceof StsError && e.code === code && message.test(e.message);

  it("AssumeRole mints credentials that open the bucket, under the read policy", async function () {
    const owner = new S3Storage(at("sts-read", "owner/sales"), { kind: "s3-static", ...caller() });
    await owner.create();
    await owner.put("part-0.enc", Readable.from([Buffer.from("cipher")]));
    owner.close();
    const grant = await mintS3Grant({
      location: at("sts-read", "owner/sales"),
      access: "read",
      expiresAt: inAnHour(),
      roleArn: ROLE,
      sessionName: stsSessionName("AssumeRole", "collab", "sales"),
      caller: caller(),
      endpoint: sts.endpoint,
    });
    const request = sts.requests.at(-1)!;
    assert.equal(request.action, "AssumeRole");
    assert.equal(request.params["RoleArn"], ROLE);
    assert.equal(request.params["RoleSessionName"], "cleanroom.collab.sales");
    assert.equal(request.params["DurationSeconds"], "3600");
    assert.equal(request.callerAccessKeyId, s3().accessKeyId);
    assert.deepEqual(
      request.policy,
      s3GrantPolicy("sts-read", "owner/sales", "read", new Date(grant.expiresAt)),
    );
    assert.deepEqual(grant.policy, request.policy);
    assert.equal(grant.issuer, "sts:AssumeRole");
    const outcome = request.outcome as { accessKeyId: string; expiration: string };
    assert.equal(grant.credentials.accessKeyId, outcome.accessKeyId);
    assert.ok(grant.credentials.sessionToken);
    assert.ok(Date.parse(grant.expiresAt) <= Date.parse(outcome.expiration));

    const room = new S3Storage(grant.location, grantCredentials(grant));
    try {
      assert.deepEqual(await room.list(), [{ name: "part-0.enc", size: 6 }]);
      assert.equal((await readAll(await room.get("part-0.enc"))).toString(), "cipher");
      // At its expiration the key pair is gone from the S3 server.
      sts.expire(grant.credentials.accessKeyId);
      await assert.rejects(room.list(), { code: "AccessDenied" });
    } finally {
      room.close();
    }
  });

  it("GetFederationToken asks at least 15 minutes and keeps the shorter expiry", async function () {
    const expiresAt = new Date(Date.now() + 300_000);
    const grant = await mintS3Grant({
      location: at("sts-write", "out"),
      access: "write",
      expiresAt,
      sessionName: stsSessionName("GetFederationToken", "collab", "out"),
      caller: caller(),
      endpoint: sts.endpoint,
    });
    const request = sts.requests.at(-1)!;
    assert.equal(request.action, "GetFederationToken");
    assert.equal(request.params["Name"], "cleanroom.collab.out");
    assert.equal(request.params["DurationSeconds"], "900");
    assert.equal(grant.issuer, "sts:GetFederationToken");
    assert.equal(
      grant.expiresAt,
      new Date(Math.floor(expiresAt.getTime() / 1000) * 1000).toISOString(),
    );
    assert.deepEqual(
      request.policy,
      s3GrantPolicy("sts-write", "out", "write", new Date(grant.expiresAt)),
    );
  });

  it("an STS session shorter than asked sets the grant's expiry", async function () {
    const short = await startSts({ capSeconds: 1000 });
    try {
      const grant = await mintS3Grant({
        location: at("sts-read"),
        access: "read",
        expiresAt: inAnHour(),
        roleArn: ROLE,
        sessionName: "s1",
        caller: caller(),
        endpoint: short.endpoint,
      });
      const outcome = short.requests[0]!.outcome as { expiration: string };
      assert.equal(grant.expiresAt, outcome.expiration);
      assert.equal(short.isLive(grant.credentials.accessKeyId), true);
    } finally {
      await short.stop();
    }
    // Stopping the stand-in removes what it minted from the S3 server.
    const minted = short.requests[0]!.outcome as { accessKeyId: string };
    assert.equal(short.isLive(minted.accessKeyId), false);
  });

  it("a role whose maximum session is shorter than the grant: GrantTooLong", async function () {
    const role = await startSts({ roleMaxSeconds: 3600 });
    try {
      await assert.rejects(
        mintS3Grant({
          location: at("sts-read"),
          access: "read",
          expiresAt: new Date(Date.now() + 7200_000),
          roleArn: ROLE,
          sessionName: "s1",
          caller: caller(),
          endpoint: role.endpoint,
        }),
        (e: unknown) => {
          assert.ok(e instanceof StsError && e.code === "GrantTooLong");
          assert.match(e.hint, /maximum session duration \(MaxSessionDuration/);
          return true;
        },
      );
      assert.equal(role.requests[0]!.params["DurationSeconds"], "7200");
    } finally {
      await role.stop();
    }
  });

  it("STS refusals are StsErrors with stable codes and no secrets", async function () {
    const request = {
      location: at("sts-read"),
      access: "read" as const,
      expiresAt: inAnHour(),
      sessionName: "s1",
      caller: caller(),
      endpoint: sts.endpoint,
    };
    sts.refuse("AccessDenied");
    await assert.rejects(
      mintS3Grant({ ...request, roleArn: ROLE }),
      refusedWith("StsAccessDenied", /refused AssumeRole on arn:aws:iam::123456789012:role/),
    );
    sts.refuse("AccessDenied");
    await assert.rejects(mintS3Grant(request), (e: unknown) => {
      assert.ok(e instanceof StsError && e.code === "StsAccessDenied");
      assert.match(e.hint, /sts:GetFederationToken/);
      return true;
    });
    const wrong = { accessKeyId: "AKIANOTKNOWN", secretAccessKey: "wrong-secret-123" };
    await assert.rejects(mintS3Grant({ ...request, caller: wrong }), (e: unknown) => {
      assert.ok(e instanceof StsError && e.code === "StsInvalidCredentials");
      assert.doesNotMatch(`${e.message} ${e.hint}`, /wrong-secret-123/);
      return true;
    });
    const asked = sts.requests.length;
    await assert.rejects(mintS3Grant({ ...request, expiresAt: new Date(Date.now() - 1000) }), {
      code: "InvalidLocation",
      message: /expiry must be in the future/,
    });
    assert.equal(sts.requests.length, asked);
    const closed = `http://127.0.0.1:${await freePort()}`;
    await assert.rejects(
      mintS3Grant({ ...request, endpoint: closed }),
      refusedWith("StsUnreachable", /cannot reach STS \(ECONNREFUSED\)/),
    );
  });

  it("durations outside STS's limits are refused before any call", function () {
    const now = new Date("2030-01-01T00:00:00Z");
    const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);
    assert.equal(stsDurationSeconds("AssumeRole", later(60), now), 900);
    assert.equal(stsDurationSeconds("AssumeRole", later(43_200), now), 43_200);
    assert.equal(stsDurationSeconds("GetFederationToken", later(129_600), now), 129_600);
    assert.throws(
      () => stsDurationSeconds("AssumeRole", later(43_201), now),
      refusedWith("GrantTooLong", /at most 12 h \(43,200 s\)/),
    );
    assert.throws(
      () => stsDurationSeconds("GetFederationToken", later(129_601), now),
      refusedWith("GrantTooLong", /at most 36 h \(129,600 s\)/),
    );
  });

  it("session names fit STS's characters and lengths; partitions follow the region", function () {
    const long = "c".repeat(64);
    const role = stsSessionName("AssumeRole", long, "d".repeat(64));
    const user = stsSessionName("GetFederationToken", long, "d".repeat(64));
    assert.equal(role.length, 64);
    assert.equal(user.length, 32);
    assert.match(role, /^[\w+=,.@-]+$/);
    assert.notEqual(user, stsSessionName("GetFederationToken", long, "e".repeat(64)));
    assert.equal(partitionOf("cn-north-1"), "aws-cn");
    assert.equal(partitionOf("us-gov-west-1"), "aws-us-gov");
    assert.equal(partitionOf(undefined), "aws");
  });
});
