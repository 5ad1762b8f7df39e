/**
 * `cleanroom dataset …` end to end: the CLI as separate processes against a real sandbox serving
 * the governance app (started in this process, with a contract set by proposal), Azurite, an S3
 * server and a local folder. An owner creates, encrypts (a folder of three files, one empty),
 * uploads, publishes, downloads and decrypts each dataset back to identical bytes; tampering,
 * a missing object, unreachable storage, no KEK yet and a non-owner each give one line and a hint;
 * an Azure grant's SAS reads only its container until it is revoked.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { ContainerClient } from "@azure/storage-blob";
import { freePort, startAzurite, type AzuriteServer } from "../support/azurite.js";
import { startS3Server, type S3Server } from "../support/s3server.js";
import { acceptContract, startConsortium, type Consortium } from "../governance/consortium.js";
import { CliHome, errorLines } from "./run.js";

const CONTRACT = "collab";

/** Every regular file under `root`, relative path → bytes. */
function tree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(dir, entry.name), path);
      else out.set(path, readFileSync(join(dir, entry.name)));
    }
  };
  walk(root, "");
  return out;
}

describe("cleanroom dataset (separate processes: sandbox, Azurite, S3 server, local)", function () {
  this.timeout(180_000);
  let c: Consortium;
  let cli: CliHome;
  let azurite: AzuriteServer;
  let s3: S3Server;
  let work: string;
  let plain: string;

  before(async () => {
    [c, azurite, s3] = await Promise.all([
      startConsortium({ users: 2 }),
      startAzurite(),
      startS3Server(),
    ]);
    const [northwind, outsider] = c.users as [
      { cert: string; key: string },
      { cert: string; key: string },
    ];
    await acceptContract(c, CONTRACT, [{ identity: northwind, name: "northwind" }]);
    cli = new CliHome();
    for (const [name, identity] of [
      ["northwind", northwind],
      ["outsider", outsider],
    ] as const) {
      await cli.addUser(name, c.sandbox, identity);
    }
    work = join(cli.home, "work");
    plain = join(work, "plain");
    mkdirSync(join(plain, "sub"), { recursive: true });
    writeFileSync(join(plain, "a.csv"), randomBytes(300_000));
    writeFileSync(join(plain, "sub", "b.csv"), "id,amount\n1,2.5\n");
    writeFileSync(join(plain, "empty.csv"), "");
  });

  after(async () => {
    await Promise.all([c?.stop(), azurite?.stop(), s3?.stop()]);
    cli?.remove();
  });

  const as = (profile: string, args: string[]) => [...args, "--profile", profile];
  /** `dataset encrypt|decrypt <contract> <dataset> --in … --out …`, then any extra options. */
  const transform = (
    direction: "encrypt" | "decrypt",
    datasetId: string,
    input: string,
    output: string,
    ...extra: string[]
  ) => ["dataset", direction, CONTRACT, datasetId, "--in", input, "--out", output, ...extra];
  const nw = (args: string[]) => cli.json(as("northwind", args));
  const fails = async (args: string[], env: Record<string, string> = {}) => {
    const result = await cli.run(as("northwind", args), env);
    assert.equal(result.code, 1, result.stderr);
    return errorLines(result);
  };

  const azureEnv = () => ({ AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString });
  const s3Args = () => [
    "--access-key-id",
    s3.accessKeyId,
    "--secret-access-key",
    s3.secretAccessKey,
  ];

  const backends = () => [
    {
      id: "local-sales",
      location: `local:${join(work, "store-local")}`,
      extra: [] as string[],
      creds: [] as string[],
    },
    {
      id: "azure-sales",
      location: `azure:${azurite.accountUrl}/sales/v1`,
      extra: [],
      creds: ["--connection-string", azurite.connectionString],
    },
    {
      id: "s3-sales",
      location: "s3:sales-bucket/v1",
      extra: ["--s3-endpoint", s3.endpoint, "--region", "us-east-1"],
      creds: s3Args(),
    },
  ];

  it("create keeps the key in the profile (0600, folder 0700) and never prints it", async function () {
    const created = await nw([
      "dataset",
      "create",
      CONTRACT,
      "local-sales",
      "--schema",
      "id:string,amount:double",
      "--allowed-fields",
      "amount",
      "--location",
      `local:${join(work, "store-local")}`,
      "--format",
      "csv",
    ]);
    const keyFile = created["keyFile"] as string;
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(keyFile, "..")).mode & 0o777, 0o700);
    assert.equal(statSync(join(keyFile, "..", "..")).mode & 0o777, 0o700);
    const dek = (JSON.parse(readFileSync(keyFile, "utf8")) as { dek: string }).dek;
    assert.equal(Buffer.from(dek, "base64").length, 32);
    assert.doesNotMatch(JSON.stringify(created), new RegExp(dek.replace(/[+/=]/g, ".")));

    // Creating it again would lose the key: refused.
    const again = await fails([
      "dataset",
      "create",
      CONTRACT,
      "local-sales",
      "--schema",
      "id:string",
      "--location",
      "local:/tmp/x",
    ]);
    assert.match(again.error, /already exists/);
    const bad = await fails([
      "dataset",
      "create",
      CONTRACT,
      "other",
      "--schema",
      "id:string",
      "--allowed-fields",
      "nope",
      "--location",
      "local:/tmp/x",
    ]);
    assert.match(bad.error, /allowedFields\[0\]: 'nope' is not in the schema/);
    const where = await fails([
      "dataset",
      "create",
      CONTRACT,
      "other",
      "--schema",
      "id:string",
      "--location",
      "ftp:x",
    ]);
    assert.match(where.error, /invalid location 'ftp:x'/);
  });

  it("publish before the consortium has a KEK says to ask a member", async function () {
    const result = await fails(["dataset", "publish", CONTRACT, "local-sales"]);
    assert.match(result.error, /no key-encryption key yet/);
    assert.match(result.hint, /ask a member/);
    const kek = await c.call(c.members[0], "/app/keys", { method: "POST" });
    assert.equal(kek.status, 201, kek.text);
  });

  it("create → encrypt → upload → publish → download → decrypt gives identical bytes, on each backend", async function () {
    const original = tree(plain);
    assert.equal(original.size, 3);
    for (const backend of backends()) {
      if (backend.id !== "local-sales") {
        await nw([
          "dataset",
          "create",
          CONTRACT,
          backend.id,
          "--schema",
          "id:string,amount:double",
          "--location",
          backend.location,
          "--format",
          "parquet",
          ...backend.extra,
        ]);
      }
      const enc = join(work, `${backend.id}.enc`);
      const encrypted = await nw(transform("encrypt", backend.id, plain, enc));
      assert.equal(encrypted["files"], 3);
      assert.equal(encrypted["bytes"], 300_000 + 16);
      assert.notDeepEqual(tree(enc).get("a.csv"), original.get("a.csv"));

      const uploaded = await nw([
        "dataset",
        "upload",
        CONTRACT,
        backend.id,
        "--in",
        enc,
        ...backend.creds,
      ]);
      assert.deepEqual(uploaded["objects"], ["a.csv", "empty.csv", "sub/b.csv"]);
      // Re-running an upload is safe: same objects, nothing duplicated.
      const again = await nw([
        "dataset",
        "upload",
        CONTRACT,
        backend.id,
        "--in",
        enc,
        ...backend.creds,
      ]);
      assert.deepEqual(again["objects"], uploaded["objects"]);

      const published = await nw(["dataset", "publish", CONTRACT, backend.id]);
      assert.equal(published["revision"], 1);

      const down = join(work, `${backend.id}.down`);
      const downloaded = await nw([
        "dataset",
        "download",
        CONTRACT,
        backend.id,
        "--out",
        down,
        ...backend.creds,
      ]);
      assert.deepEqual(downloaded["objects"], ["a.csv", "empty.csv", "sub/b.csv"]);
      assert.deepEqual(tree(down), tree(enc));

      const out = join(work, `${backend.id}.out`);
      await nw(transform("decrypt", backend.id, down, out));
      assert.deepEqual(tree(out), original, backend.id);
    }
    // Credentials may come from the environment too.
    const viaEnv = await cli.run(
      as("northwind", [
        "dataset",
        "download",
        CONTRACT,
        "azure-sales",
        "--out",
        join(work, "env"),
        "--json",
      ]),
      azureEnv(),
    );
    assert.equal(viaEnv.code, 0, viaEnv.stderr);

    const listed = await nw(["dataset", "list", CONTRACT]);
    assert.deepEqual(
      (listed as unknown as { datasetId: string }[]).map((d) => d.datasetId).sort(),
      ["azure-sales", "local-sales", "s3-sales"],
    );
    const shown = await nw(["dataset", "show", CONTRACT, "s3-sales"]);
    const document = shown["document"] as { location: unknown; allowedFields: string[] };
    assert.deepEqual(document.location, {
      kind: "s3",
      endpoint: s3.endpoint,
      region: "us-east-1",
      bucket: "sales-bucket",
      prefix: "v1",
    });
    // Publishing again makes a new revision.
    const republished = await nw(["dataset", "publish", CONTRACT, "local-sales"]);
    assert.equal(republished["revision"], 2);
    const human = await cli.run(as("northwind", ["dataset", "show", CONTRACT, "local-sales"]));
    assert.match(human.stdout, /collab\/local-sales revision 2, owner you/);
  });

  it("--threads spreads each file over worker threads: the same format both ways", async function () {
    const original = tree(plain);
    const enc = join(work, "threads.enc");
    const threads = ["--threads", "2"];
    await nw(transform("encrypt", "local-sales", plain, enc, ...threads));
    // Encrypted on threads, decrypted on one; and the other way round.
    const out = join(work, "threads.out");
    await nw(transform("decrypt", "local-sales", enc, out));
    assert.deepEqual(tree(out), original);
    const back = join(work, "threads.back");
    const streamed = join(work, "local-sales.enc");
    await nw(transform("decrypt", "local-sales", streamed, back, ...threads));
    assert.deepEqual(tree(back), original);

    const zero = await cli.run(
      as("northwind", transform("encrypt", "local-sales", plain, enc, "--threads", "0")),
    );
    assert.equal(zero.code, 1, zero.stderr);
    assert.match(
      zero.stderr,
      /'--threads <n>' argument '0' is invalid\. expected a whole number from 1 to 64/,
    );
  });

  it("Ctrl-C mid-way through encrypt or decrypt leaves no temporary file behind", async function () {
    const plainFile = join(work, "interrupt.plain");
    const encrypted = join(work, "interrupt.enc");
    writeFileSync(plainFile, randomBytes(4 << 20));
    await nw(transform("encrypt", "local-sales", plainFile, encrypted));
    for (const [direction, input] of [
      ["encrypt", plainFile],
      ["decrypt", encrypted], // the temporary file would hold unverified plaintext
    ] as const) {
      const out = join(work, `interrupted-${direction}`);
      mkdirSync(out);
      // A pipe each: the last writer of a pipe may still be writing once the next reader opens it.
      const fifo = join(work, `interrupt-${direction}.fifo`);
      execFileSync("mkfifo", [fifo]);
      const { child, result } = cli.start(
        as("northwind", transform(direction, "local-sales", fifo, join(out, "x"))),
      );
      // Half the input, and the pipe kept open: the command waits mid-way for the rest.
      const writer = createWriteStream(fifo).on("error", () => undefined);
      writer.write(readFileSync(input).subarray(0, 2 << 20));
      const started = () => readdirSync(out).some((name) => name.endsWith(".partial"));
      while (!started() && child.exitCode === null) await sleep(20);
      child.kill("SIGINT");
      // A command that outlived its Ctrl-C would wait on the pipe forever: end it, and fail below.
      const stuck = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const { stderr } = await result;
      clearTimeout(stuck);
      writer.destroy();
      assert.equal(child.exitCode, null, `${direction} ended by itself: ${stderr}`);
      assert.equal(child.signalCode, "SIGINT", direction);
      assert.deepEqual(readdirSync(out), [], direction);
    }
  });

  it("upload takes only the dataset's own ciphertext; --in as --out and file errors get one line", async function () {
    const stored = join(work, "store-local", "a.csv");
    const before = readFileSync(stored);
    const plaintext = await fails(["dataset", "upload", CONTRACT, "local-sales", "--in", plain]);
    assert.match(plaintext.error, /not a cleanroom encrypted file/);
    assert.match(plaintext.hint, /cleanroom dataset encrypt/);
    const foreign = await fails([
      "dataset",
      "upload",
      CONTRACT,
      "local-sales",
      "--in",
      join(work, "azure-sales.enc"),
    ]);
    assert.match(foreign.error, /different dataset key/);
    assert.deepEqual(readFileSync(stored), before, "nothing was uploaded");

    const file = join(work, "same.csv");
    writeFileSync(file, "id\n1\n");
    const same = await fails(transform("encrypt", "local-sales", file, file));
    assert.match(same.error, /is the input file itself/);
    assert.equal(readFileSync(file, "utf8"), "id\n1\n");

    const folder = join(work, "a-folder");
    mkdirSync(join(folder, "x.enc"), { recursive: true });
    const intoFolder = await fails(
      transform("encrypt", "local-sales", file, join(folder, "x.enc")),
    );
    assert.match(intoFolder.error, /EISDIR/);
    assert.match(intoFolder.hint, /a folder is where a file was expected/);
    assert.deepEqual(readdirSync(folder), ["x.enc"]);
  });

  it("tampered, truncated or foreign ciphertext: one line, no output file", async function () {
    const enc = join(work, "local-sales.enc");
    const tampered = join(work, "tampered.enc");
    const bytes = readFileSync(join(enc, "a.csv"));
    bytes[1000] = bytes[1000]! ^ 1;
    writeFileSync(tampered, bytes);
    const out = join(work, "tampered.csv");
    const changed = await fails(
      // On worker threads: they name the damage as the stream does.
      transform("decrypt", "local-sales", tampered, out, "--threads", "2"),
    );
    assert.match(changed.error, /tampered\.enc/);
    assert.match(changed.hint, /changed after encryption/);
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(work).filter((name) => name.includes("partial")),
      [],
    );

    const truncated = join(work, "truncated.enc");
    writeFileSync(truncated, readFileSync(join(enc, "a.csv")).subarray(0, 69));
    const cut = await fails(transform("decrypt", "local-sales", truncated, out));
    assert.match(cut.hint, /incomplete/);
    assert.equal(existsSync(out), false);
    // Cut inside its last chunk: that chunk fails authentication.
    writeFileSync(truncated, readFileSync(join(enc, "a.csv")).subarray(0, 70_000));
    const inside = await fails(transform("decrypt", "local-sales", truncated, out));
    assert.match(inside.error, /cut short/);
    assert.equal(existsSync(out), false);

    // Another dataset's file (another key, another binding).
    const foreign = await fails(
      transform("decrypt", "azure-sales", join(enc, "sub", "b.csv"), out),
    );
    assert.match(foreign.hint, /another dataset or with another key/);
    assert.equal(existsSync(out), false);
  });

  it("missing objects, unreachable storage and a non-owner get one line and a hint", async function () {
    await nw([
      "dataset",
      "create",
      CONTRACT,
      "empty",
      "--schema",
      "id:string",
      "--location",
      `azure:${azurite.accountUrl}/empty-container`,
    ]);
    const missing = await fails(
      ["dataset", "download", CONTRACT, "empty", "--out", join(work, "none")],
      azureEnv(),
    );
    assert.match(missing.error, /empty-container/);
    assert.equal(existsSync(join(work, "none")), false);

    const port = await freePort();
    await nw([
      "dataset",
      "create",
      CONTRACT,
      "down",
      "--schema",
      "id:string",
      "--location",
      "s3:down-bucket",
      "--s3-endpoint",
      `http://127.0.0.1:${port}`,
      "--region",
      "us-east-1",
    ]);
    const downEnc = join(work, "down.enc");
    await nw(transform("encrypt", "down", plain, downEnc));
    const unreachable = await fails([
      "dataset",
      "upload",
      CONTRACT,
      "down",
      "--in",
      downEnc,
      ...s3Args(),
    ]);
    assert.match(unreachable.hint, /reachable/);

    const outsider = await cli.run(
      as("outsider", transform("encrypt", "local-sales", plain, join(work, "x"))),
    );
    assert.equal(outsider.code, 1);
    const lines = errorLines(outsider);
    assert.match(lines.error, /no key for dataset collab\/local-sales/);
    assert.match(lines.hint, /only its owner/);
  });

  it("an Azure grant's SAS reads only its container, until revoked", async function () {
    const sasFile = join(work, "grant.sas");
    const granted = await nw([
      "dataset",
      "grant",
      CONTRACT,
      "azure-sales",
      "--read",
      "--expires",
      "1h",
      "--credential-out",
      sasFile,
      "--connection-string",
      azurite.connectionString,
    ]);
    assert.equal(granted["kind"], "azure-sas");
    assert.equal(granted["name"], "azure-sales-read");
    assert.doesNotMatch(JSON.stringify(granted), /sig=/);
    assert.equal(statSync(sasFile).mode & 0o777, 0o600);
    const sas = readFileSync(sasFile, "utf8");

    // The grant is in governance (its value is never shown).
    const grants = await c.call(c.users[0], `/app/contracts/${CONTRACT}/secrets`);
    assert.deepEqual(
      grants.json<{ value: { name: string; kind: string }[] }>().value.map((g) => [g.name, g.kind]),
      [["azure-sales-read", "azure-sas"]],
    );

    const container = new ContainerClient(`${azurite.accountUrl}/sales?${sas}`);
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    assert.deepEqual(names, ["v1/a.csv", "v1/empty.csv", "v1/sub/b.csv"]);
    const blob = await container.getBlobClient("v1/sub/b.csv").downloadToBuffer();
    assert.deepEqual(blob, readFileSync(join(work, "azure-sales.enc", "sub", "b.csv")));
    // Read-only, and only this container.
    await assert.rejects(container.getBlockBlobClient("v1/new").upload("x", 1), {
      statusCode: 403,
    });
    const other = new ContainerClient(`${azurite.accountUrl}/empty-container?${sas}`);
    await assert.rejects(other.getBlobClient("x").downloadToBuffer(), { statusCode: 403 });

    const s3Flags = await fails([
      "dataset",
      "grant",
      CONTRACT,
      "azure-sales",
      "--read",
      "--expires",
      "1h",
      "--role-arn",
      "arn:aws:iam::123456789012:role/cleanroom",
      "--connection-string",
      azurite.connectionString,
    ]);
    assert.match(s3Flags.error, /--role-arn is for S3 datasets; azure-sales is in Azure Blob/);

    const keyless = await fails(["dataset", "revoke", CONTRACT, "azure-sales"]);
    assert.match(keyless.error, /needs the storage account key/);
    const still = new ContainerClient(`${azurite.accountUrl}/sales?${sas}`);
    assert.ok(await still.getBlobClient("v1/sub/b.csv").exists());

    const revoked = await cli.json(
      as("northwind", [
        "dataset",
        "revoke",
        CONTRACT,
        "azure-sales",
        "--connection-string",
        azurite.connectionString,
      ]),
    );
    assert.deepEqual(revoked["revoked"], ["azure-sales-read"]);
    await assert.rejects(container.getBlobClient("v1/sub/b.csv").downloadToBuffer(), {
      statusCode: 403,
    });
    const after = await c.call(c.users[0], `/app/contracts/${CONTRACT}/secrets`);
    assert.deepEqual(after.json<{ value: unknown[] }>().value, []);

    const none = await fails(["dataset", "revoke", CONTRACT, "azure-sales"]);
    assert.match(none.error, /no grants to revoke/);
  });

  it("an S3 grant stores the credentials and prints the IAM policy to attach", async function () {
    const granted = await nw([
      "dataset",
      "grant",
      CONTRACT,
      "s3-sales",
      "--write",
      "--expires",
      "30m",
      "--static-credentials",
      ...s3Args(),
    ]);
    assert.equal(granted["kind"], "s3-credentials");
    const policy = granted["policy"] as { Statement: { Action: string[]; Resource: string[] }[] };
    assert.deepEqual(policy.Statement[0]!.Resource, ["arn:aws:s3:::sales-bucket/v1/*"]);
    assert.ok(policy.Statement[0]!.Action.includes("s3:PutObject"));
    assert.doesNotMatch(JSON.stringify(granted), /S3RVER/);
    const revoked = await nw([
      "dataset",
      "revoke",
      CONTRACT,
      "s3-sales",
      "--grant",
      "s3-sales-write",
    ]);
    assert.deepEqual(revoked["revoked"], ["s3-sales-write"]);
    const bad = await fails([
      "dataset",
      "grant",
      CONTRACT,
      "s3-sales",
      "--read",
      "--expires",
      "soon",
    ]);
    assert.match(bad.error, /invalid duration 'soon'/);

    // --credential-out: a path that cannot be written is refused before any grant exists; a
    // file already there ends up readable by its owner only.
    const grantRead = (out: string) => [
      "dataset",
      "grant",
      CONTRACT,
      "s3-sales",
      "--read",
      "--expires",
      "30m",
      "--static-credentials",
      ...s3Args(),
      "--credential-out",
      out,
    ];
    const nowhere = await fails(grantRead(join(work, "no-such-folder", "cred")));
    assert.match(nowhere.error, /cannot write the credential .* its folder does not exist/);
    const after = await c.call(c.users[0], `/app/contracts/${CONTRACT}/secrets`);
    assert.doesNotMatch(after.text, /s3-sales-read/);
    const cred = join(work, "cred.json");
    writeFileSync(cred, "old", { mode: 0o644 });
    await nw(grantRead(cred));
    assert.equal(statSync(cred).mode & 0o777, 0o600);
    assert.match(readFileSync(cred, "utf8"), /accessKeyId/);
    await nw(["dataset", "revoke", CONTRACT, "s3-sales"]);
  });
});
