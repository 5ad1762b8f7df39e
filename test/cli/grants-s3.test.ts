/**
 * `cleanroom dataset grant|revoke` for S3, as separate processes against a real sandbox, s3rver and
 * the local STS stand-in (test/support/sts.ts): the grant holds temporary credentials minted by STS
 * with the grant's policy as session policy, and the runtime's reader opens the dataset with them.
 * s3rver enforces no IAM: the scope (bucket, prefix, actions, expiry) is asserted on the policy
 * sent to STS, which is what AWS enforces. STS refusals and limits give one line and a hint, exit 1,
 * and store nothing; `--static-credentials` keeps the pass-the-keys grant, labelled as unscoped.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  S3Storage,
  s3GrantPolicy,
  type IamPolicyDocument,
  type S3Location,
} from "../../client/storage/index.js";
import { ProfileStore } from "../../cli/profile/store.js";
import { grantStorageCredentials } from "../../runtime/agent/storage.js";
import { freePort } from "../support/azurite.js";
import { startS3Server, type S3Server } from "../support/s3server.js";
import { readAll } from "../support/storage-conformance.js";
import { startSts, type StsStandIn } from "../support/sts.js";
import { acceptContract, startConsortium, type Consortium } from "../governance/consortium.js";
import { CliHome, errorLines } from "./run.js";

const CONTRACT = "collab";
const ROLE = "arn:aws:iam::123456789012:role/cleanroom-grants";
const CIPHERTEXT = randomBytes(1000);

describe("cleanroom dataset grant|revoke on S3 (sandbox, s3rver, STS stand-in)", function () {
  this.timeout(120_000);
  let c: Consortium;
  let s3: S3Server;
  let sts: StsStandIn;
  let cli: CliHome;
  let store: ProfileStore;
  let work: string;

  const input = (): S3Location => ({
    kind: "s3",
    endpoint: s3.endpoint,
    region: "us-east-1",
    bucket: "grant-in",
    prefix: "owner/sales",
  });
  const caller = () => [
    "--access-key-id",
    s3.accessKeyId,
    "--secret-access-key",
    s3.secretAccessKey,
  ];
  const viaSts = () => ["--sts-endpoint", sts.endpoint, ...caller()];
  const as = (args: string[]) => [...args, "--profile", "northwind"];
  const nw = (args: string[]) => cli.json(as(args));
  const fails = async (args: string[]) => {
    const result = await cli.run(as(args));
    assert.equal(result.code, 1, result.stderr);
    return errorLines(result);
  };
  /** The grants governance holds for the contract: [name, kind, expiresAt]. */
  const stored = async () => {
    const listed = await c.call(c.users[0], `/app/contracts/${CONTRACT}/secrets`);
    return listed
      .json<{ value: { name: string; kind: string; expiresAt?: string }[] }>()
      .value.map((g) => [g.name, g.kind, g.expiresAt]);
  };
  const keyFileGrants = (datasetId: string) =>
    Object.keys(
      store.readDatasetKey(store.read("northwind"), CONTRACT, datasetId)?.grants ?? {},
    ).sort();

  before(async () => {
    [c, s3, sts] = await Promise.all([startConsortium({ users: 1 }), startS3Server(), startSts()]);
    const [northwind] = c.users as [{ cert: string; key: string }];
    await acceptContract(c, CONTRACT, [{ identity: northwind, name: "northwind" }]);
    cli = new CliHome();
    store = new ProfileStore(cli.home);
    await cli.addUser("northwind", c.sandbox, northwind);
    work = join(cli.home, "work");
    mkdirSync(work, { recursive: true });
    const s3Flags = ["--s3-endpoint", s3.endpoint, "--region", "us-east-1"];
    for (const [id, where] of [
      ["s3-in", "s3:grant-in/owner/sales"],
      ["s3-out", "s3:grant-out/run"],
    ] as const) {
      await nw(
        ["dataset", "create", CONTRACT, id, "--schema", "id:string,amount:double"].concat([
          "--location",
          where,
          "--format",
          "csv",
          ...s3Flags,
        ]),
      );
    }
    // The owner's ciphertext (its bytes do not matter to grants: the format has its own tests).
    const owner = new S3Storage(input(), {
      kind: "s3-static",
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    try {
      await owner.create();
      await owner.put("sales.enc", Readable.from([CIPHERTEXT]));
    } finally {
      owner.close();
    }
  });

  after(async () => {
    await Promise.all([c?.stop(), s3?.stop(), sts?.stop()]);
    cli?.remove();
  });

  it("grant --read --role-arn stores STS credentials that open the dataset for the runtime", async function () {
    const credFile = join(work, "in.cred");
    const args = ["dataset", "grant", CONTRACT, "s3-in", "--read", "--expires", "2h"];
    const run = await cli.run(
      as([...args, "--role-arn", ROLE, "--credential-out", credFile, ...viaSts(), "--json"]),
    );
    assert.equal(run.code, 0, run.stderr);
    const granted = JSON.parse(run.stdout) as Record<string, unknown>;

    // What STS was asked: AssumeRole on the role, 2 h, the read policy for this bucket/prefix.
    const request = sts.requests.at(-1)!;
    assert.equal(request.action, "AssumeRole");
    assert.equal(request.params["RoleArn"], ROLE);
    assert.equal(request.params["RoleSessionName"], "cleanroom.collab.s3-in");
    assert.equal(request.params["DurationSeconds"], "7200");
    const expiresAt = granted["expiresAt"] as string;
    assert.deepEqual(
      request.policy,
      s3GrantPolicy("grant-in", "owner/sales", "read", new Date(expiresAt)),
    );
    const minted = request.outcome as { accessKeyId: string; expiration: string };
    assert.deepEqual(
      { ...granted, policy: undefined },
      {
        contractId: CONTRACT,
        datasetId: "s3-in",
        name: "s3-in-read",
        kind: "s3-credentials",
        access: "read",
        expiresAt,
        scopedByServer: true,
        issuer: "sts:AssumeRole",
        accessKeyId: minted.accessKeyId,
        policy: undefined,
      },
    );
    assert.ok(Date.parse(expiresAt) <= Date.parse(minted.expiration));

    // The stored value: the temporary credentials with their session token and expiry.
    const value = readFileSync(credFile, "utf8");
    const parsed = JSON.parse(value) as Record<string, string>;
    assert.equal(parsed["accessKeyId"], minted.accessKeyId);
    assert.ok(parsed["secretAccessKey"] && parsed["sessionToken"]);
    assert.equal(parsed["expiresAt"], expiresAt);
    assert.equal(parsed["issuer"], "sts:AssumeRole");
    for (const secret of [parsed["secretAccessKey"]!, parsed["sessionToken"]!]) {
      assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret));
    }
    assert.deepEqual(await stored(), [["s3-in-read", "s3-credentials", expiresAt]]);

    // The runtime's reader turns the value into credentials that list and read the dataset.
    const credentials = grantStorageCredentials(input(), value, "s3-in");
    assert.equal(
      credentials.kind === "s3-static" && credentials.sessionToken,
      parsed["sessionToken"],
    );
    const room = new S3Storage(input(), credentials);
    try {
      assert.deepEqual(
        (await room.list()).map((o) => o.name),
        ["sales.enc"],
      );
      assert.deepEqual(await readAll(await room.get("sales.enc")), CIPHERTEXT);
    } finally {
      room.close();
    }
  });

  it("grant --write without a role: GetFederationToken, 15 min asked, the sink writable", async function () {
    const credFile = join(work, "out.cred");
    const granted = await nw([
      ...["dataset", "grant", CONTRACT, "s3-out", "--write", "--expires", "10m"],
      ...["--credential-out", credFile, ...viaSts()],
    ]);
    const request = sts.requests.at(-1)!;
    assert.equal(request.action, "GetFederationToken");
    assert.equal(request.params["Name"], "cleanroom.collab.s3-out");
    assert.equal(request.params["DurationSeconds"], "900");
    const expiresAt = granted["expiresAt"] as string;
    assert.deepEqual(
      request.policy,
      s3GrantPolicy("grant-out", "run", "write", new Date(expiresAt)),
    );
    assert.deepEqual(granted["policy"], request.policy);
    // The grant ends at --expires (10 min), before the 15-minute STS session.
    const minted = request.outcome as { expiration: string };
    assert.ok(Date.parse(expiresAt) < Date.parse(minted.expiration) - 60_000);
    assert.equal(granted["issuer"], "sts:GetFederationToken");

    const value = readFileSync(credFile, "utf8");
    const sink: S3Location = { ...input(), bucket: "grant-out", prefix: "run" };
    const room = new S3Storage(sink, grantStorageCredentials(sink, value, "s3-out"));
    try {
      await room.put("result.enc", Readable.from([Buffer.from("sealed")]));
    } finally {
      room.close();
    }
    const owner = new S3Storage(sink, {
      kind: "s3-static",
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    try {
      assert.equal(await owner.exists("result.enc"), true);
    } finally {
      owner.close();
    }
  });

  it("STS refusals: one line naming what is missing, exit 1, nothing stored", async function () {
    const before = await stored();
    const grant = ["dataset", "grant", CONTRACT, "s3-in", "--read", "--expires", "1h"];
    const named = [...grant, "--name", "refused"];

    sts.refuse("AccessDenied");
    const role = await fails([...named, "--role-arn", ROLE, ...viaSts()]);
    assert.equal(role.error, `STS refused AssumeRole on ${ROLE} (AccessDenied)`);
    assert.match(role.hint, /needs sts:AssumeRole on that role/);
    sts.refuse("AccessDenied");
    const federation = await fails([...named, ...viaSts()]);
    assert.equal(federation.error, "STS refused GetFederationToken (AccessDenied)");
    assert.match(federation.hint, /allowed sts:GetFederationToken/);

    const unknown = await fails([
      ...named,
      ...["--sts-endpoint", sts.endpoint, "--access-key-id", "AKIANOTKNOWN"],
      ...["--secret-access-key", "not-the-secret"],
    ]);
    assert.match(unknown.error, /refused the caller's credentials \(InvalidClientTokenId\)/);
    assert.doesNotMatch(`${unknown.error}${unknown.hint}`, /not-the-secret/);

    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await fails([...named, "--sts-endpoint", closed, ...caller()]);
    assert.equal(unreachable.error, "cannot reach STS (ECONNREFUSED)");
    assert.match(unreachable.hint, /--sts-endpoint/);

    assert.deepEqual(await stored(), before);
    assert.deepEqual(keyFileGrants("s3-in"), ["s3-in-read"]);
  });

  it("without keys the AWS default chain signs the call (a profile here), or nothing does", async function () {
    const files = join(work, "aws");
    mkdirSync(files, { recursive: true });
    writeFileSync(
      join(files, "credentials"),
      `[grants]\naws_access_key_id = ${s3.accessKeyId}\naws_secret_access_key = ${s3.secretAccessKey}\n`,
    );
    const chain = {
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
      AWS_SESSION_TOKEN: "",
      AWS_SHARED_CREDENTIALS_FILE: join(files, "credentials"),
      AWS_CONFIG_FILE: join(files, "config"),
      AWS_EC2_METADATA_DISABLED: "true",
    };
    const args = ["dataset", "grant", CONTRACT, "s3-in", "--read", "--expires", "1h"];
    const run = (profile: string) =>
      cli.run(as([...args, "--name", "chain", "--sts-endpoint", sts.endpoint, "--json"]), {
        ...chain,
        AWS_PROFILE: profile,
      });
    const viaProfile = await run("grants");
    assert.equal(viaProfile.code, 0, viaProfile.stderr);
    assert.equal(sts.requests.at(-1)!.callerAccessKeyId, s3.accessKeyId);
    assert.equal(JSON.parse(viaProfile.stdout)["issuer"], "sts:GetFederationToken");
    const none = await run("nobody");
    assert.equal(none.code, 1, none.stderr);
    assert.match(errorLines(none).error, /^no usable AWS credentials to call STS with/);
    await nw(["dataset", "revoke", CONTRACT, "s3-in", "--grant", "chain"]);
  });

  it("--expires past STS's limit, or a non-AWS endpoint without --sts-endpoint, is refused before any call", async function () {
    const count = sts.requests.length;
    const grant = ["dataset", "grant", CONTRACT, "s3-out", "--write", "--name", "long"];
    const role = await fails([...grant, "--expires", "13h", "--role-arn", ROLE, ...viaSts()]);
    assert.equal(
      role.error,
      "STS AssumeRole issues credentials for at most 12 h (43,200 s): the grant asked for 46,800 s",
    );
    assert.match(role.hint, /--expires 12h or less \(the role's maximum session duration/);
    const federation = await fails([...grant, "--expires", "2d", ...viaSts()]);
    assert.match(
      federation.error,
      /GetFederationToken issues credentials for at most 36 h \(129,600 s\)/,
    );
    const noSts = await fails([...grant, "--expires", "1h", ...caller()]);
    assert.match(noSts.error, /S3 endpoint http:\/\/127\.0\.0\.1:\d+ is not AWS/);
    assert.match(noSts.hint, /--sts-endpoint .* or --static-credentials/);
    assert.equal(sts.requests.length, count);
    assert.deepEqual(keyFileGrants("s3-out"), ["s3-out-write"]);
  });

  it("--static-credentials stores the keys as they are, labelled as not scoped by the server", async function () {
    const count = sts.requests.length;
    const args = ["dataset", "grant", CONTRACT, "s3-in", "--read", "--expires", "1h"];
    const human = await cli.run(
      as([...args, "--name", "static", "--static-credentials", ...caller()]),
    );
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stdout,
      /NOT scoped by the server: the credentials you passed are stored as they are/,
    );
    assert.match(human.stdout, /"s3:GetObject"/);
    const granted = await nw([...args, "--name", "static", "--static-credentials", ...caller()]);
    assert.equal(granted["issuer"], "static");
    assert.equal(granted["scopedByServer"], false);
    // s3rver's secret is its key id: neither shows.
    assert.equal(granted["accessKeyId"], undefined);
    assert.doesNotMatch(human.stdout + human.stderr, /S3RVER/);
    const policy = granted["policy"] as IamPolicyDocument;
    assert.deepEqual(policy.Statement[1]!.Resource, ["arn:aws:s3:::grant-in/owner/sales/*"]);
    // A static write grant still makes the sink's bucket with the owner's keys.
    const sink = await nw([
      ...["dataset", "grant", CONTRACT, "s3-out", "--write", "--expires", "1h"],
      ...["--name", "static-out", "--static-credentials", ...caller()],
    ]);
    assert.equal(sink["issuer"], "static");
    assert.equal(sts.requests.length, count);
    const mixed = await fails([...args, "--static-credentials", "--role-arn", ROLE, ...caller()]);
    assert.match(mixed.error, /takes no --role-arn or --sts-endpoint/);
  });

  it("revoke deletes the grants and says S3 credentials last until their expiry", async function () {
    const minted = sts.requests.find(
      (r) => r.action === "AssumeRole" && "accessKeyId" in r.outcome,
    )!.outcome as { accessKeyId: string };
    const revoked = await nw(["dataset", "revoke", CONTRACT, "s3-in"]);
    assert.deepEqual((revoked["revoked"] as string[]).sort(), ["s3-in-read", "static"]);
    assert.match(
      revoked["note"] as string,
      /cannot be invalidated one by one: .* works until its expiry \(latest 20\d\d-/,
    );
    // Only the other dataset's grants are left.
    assert.deepEqual((await stored()).map(([name]) => name).sort(), ["s3-out-write", "static-out"]);
    assert.deepEqual(keyFileGrants("s3-in"), []);
    // What the note says: the minted key pair still opens the server until it expires.
    assert.equal(sts.isLive(minted.accessKeyId), true);
  });
});
