/**
 * `cleanroom dataset create --key-vault` end to end: the CLI as separate processes with the real
 * @azure/keyvault-secrets and @azure/identity, against the Key Vault stand-in (challenge auth,
 * tokens from its AD FS authority, TLS) and a real sandbox. The DEK lives only in the vault: the
 * key file holds a reference; encrypt, decrypt and publish fetch the pinned version. A denied
 * identity, an unreachable vault, a rejected credential and a deleted secret each give one line
 * with a stable code and a hint, and a failed create leaves no key file (and no secret).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { dekSecretName, DEK_CONTENT_TYPE } from "../../client/keyvault.js";
import { freePort } from "../support/azurite.js";
import {
  KEY_VAULT_API_VERSIONS,
  startKeyVault,
  type KeyVaultStandIn,
} from "../support/keyvault.js";
import { acceptContract, startConsortium, type Consortium } from "../governance/consortium.js";
import { CliHome, errorLines, type CliResult } from "./run.js";

const CONTRACT = "collab";

describe("cleanroom dataset with Azure Key Vault (separate processes, Key Vault stand-in)", function () {
  this.timeout(120_000);
  let c: Consortium;
  let kv: KeyVaultStandIn;
  let cli: CliHome;
  let work: string;
  /** Everything every CLI process printed, to check that no secret value ever shows. */
  const printed: string[] = [];

  before(async () => {
    [c, kv] = await Promise.all([startConsortium({ users: 1 }), startKeyVault()]);
    const [owner] = c.users as [{ cert: string; key: string }];
    await acceptContract(c, CONTRACT, [{ identity: owner, name: "northwind" }]);
    const kek = await c.call(c.members[0], "/app/keys", { method: "POST" });
    assert.equal(kek.status, 201, kek.text);
    cli = new CliHome();
    await cli.addUser("northwind", c.sandbox, owner);
    work = join(cli.home, "work");
    mkdirSync(work, { recursive: true });
  });

  after(async () => {
    await Promise.all([c?.stop(), kv?.stop()]);
    cli?.remove();
  });

  afterEach(() => {
    kv.deny = false;
  });

  const run = async (args: string[], env: Record<string, string> = {}): Promise<CliResult> => {
    const result = await cli.run([...args, "--profile", "northwind"], { ...kv.env, ...env });
    printed.push(result.stdout, result.stderr);
    return result;
  };
  const ok = async (args: string[], env: Record<string, string> = {}) => {
    const result = await run([...args, "--json"], env);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };
  const fails = async (args: string[], env: Record<string, string> = {}) => {
    const result = await run(args, env);
    assert.equal(result.code, 1, result.stderr);
    return errorLines(result);
  };
  const create = (datasetId: string, vaultUrl = kv.vaultUrl) => [
    "dataset",
    "create",
    CONTRACT,
    datasetId,
    "--schema",
    "id:string,amount:double",
    "--location",
    `local:${join(work, "store")}`,
    "--key-vault",
    vaultUrl,
  ];
  const keyFile = (datasetId: string) =>
    join(cli.home, "profiles", "northwind", "datasets", CONTRACT, `${datasetId}.json`);
  const storedValue = (datasetId: string) =>
    kv.versions(dekSecretName(CONTRACT, datasetId))[0]!.value;

  it("keeps the DEK in the vault only; encrypt, decrypt and publish fetch it", async function () {
    const created = await ok(create("sales"));
    const name = dekSecretName(CONTRACT, "sales");
    const [secret, ...more] = kv.versions(name);
    assert.ok(secret);
    assert.equal(more.length, 0);
    assert.equal(Buffer.from(secret.value, "base64").length, 32);
    assert.equal(secret.contentType, DEK_CONTENT_TYPE);
    assert.deepEqual(secret.tags, {
      "cleanroom-kind": "dataset-dek",
      "cleanroom-contract": CONTRACT,
      "cleanroom-dataset": "sales",
    });
    const reference = { vaultUrl: kv.vaultUrl, secretName: name, version: secret.version };
    assert.deepEqual(created["keyCustody"], { kind: "key-vault", ...reference });

    // The key file points to the version and holds no key.
    const text = readFileSync(keyFile("sales"), "utf8");
    const file = JSON.parse(text) as Record<string, unknown>;
    assert.equal(file["dek"], undefined);
    assert.deepEqual(file["keyVault"], reference);
    assert.ok(!text.includes(secret.value));

    // The SDK went through the challenge, then authenticated with a token it was issued.
    const vaultCalls = kv.log.filter((entry) => entry.path.startsWith("/secrets/"));
    assert.deepEqual(
      vaultCalls.map((entry) => `${entry.method} ${entry.status}`),
      ["PUT 401", "PUT 200"],
    );
    assert.ok(kv.log.some((entry) => entry.path === "/adfs/oauth2/token" && entry.status === 200));

    const plain = join(work, "sales.csv");
    writeFileSync(plain, randomBytes(200_000));
    const encrypted = join(work, "sales.csv.enc");
    const back = join(work, "sales.back.csv");
    await ok(["dataset", "encrypt", CONTRACT, "sales", "--in", plain, "--out", encrypted]);
    await ok(["dataset", "decrypt", CONTRACT, "sales", "--in", encrypted, "--out", back]);
    assert.deepEqual(readFileSync(back), readFileSync(plain));
    const reads = kv.log.filter(
      (entry) =>
        entry.method === "GET" && entry.path.startsWith("/secrets/") && entry.status === 200,
    );
    assert.ok(reads.every((entry) => entry.path === `/secrets/${name}/${secret.version}`));
    assert.equal(reads.length, 2);

    const published = await ok(["dataset", "publish", CONTRACT, "sales"]);
    assert.equal(published["revision"], 1);
    const shown = await ok(["dataset", "show", CONTRACT, "sales"]);
    assert.deepEqual(shown["keyCustody"], { kind: "key-vault", ...reference });
    const listed = (await ok(["dataset", "list", CONTRACT])) as unknown as Record<
      string,
      unknown
    >[];
    assert.deepEqual(listed.find((d) => d["datasetId"] === "sales")?.["keyCustody"], {
      kind: "key-vault",
      ...reference,
    });
    const human = await run(["dataset", "show", CONTRACT, "sales"]);
    assert.match(
      human.stdout,
      new RegExp(`kept by: +Key Vault ${kv.vaultUrl}, secret ${name} version ${secret.version}`),
    );
  });

  it("a dataset kept in the profile shows that custody", async function () {
    const created = await ok(create("local").slice(0, -2));
    assert.deepEqual(created["keyCustody"], { kind: "profile" });
    assert.equal(kv.versions(dekSecretName(CONTRACT, "local")).length, 0);
  });

  it("a denied identity gets KeyVaultDenied naming the role, and no key file", async function () {
    kv.deny = true;
    const denied = await fails(create("denied"));
    assert.match(
      denied.error,
      /denied this identity to store secret 'cleanroom-dek-collab-denied-/,
    );
    assert.match(denied.hint, /'Key Vault Secrets Officer' role/);
    assert.equal(existsSync(keyFile("denied")), false);
    assert.equal(kv.versions(dekSecretName(CONTRACT, "denied")).length, 0);

    // Reading the DEK of an existing dataset needs the reader's role.
    const out = join(work, "denied.enc");
    const reading = await fails([
      "dataset",
      "encrypt",
      CONTRACT,
      "sales",
      "--in",
      join(work, "sales.csv"),
      "--out",
      out,
    ]);
    assert.match(reading.error, /denied this identity to read/);
    assert.match(reading.hint, /'Key Vault Secrets User' role/);
    assert.equal(existsSync(out), false);
  });

  it("an unreachable vault gives KeyVaultUnreachable on create and on use", async function () {
    const dead = `https://kv.vault.localhost:${await freePort()}`;
    const refused = await fails(create("unreachable", dead));
    assert.match(refused.error, new RegExp(`cannot reach ${dead} \\(ECONNREFUSED\\)`));
    assert.match(refused.hint, /check the vault URL/);
    assert.equal(existsSync(keyFile("unreachable")), false);

    // A vault that went away after the dataset was created.
    const gone = await startKeyVault();
    try {
      await ok(create("moved", gone.vaultUrl), gone.env);
    } finally {
      await gone.stop();
    }
    const using = await fails(
      [
        "dataset",
        "encrypt",
        CONTRACT,
        "moved",
        "--in",
        join(work, "sales.csv"),
        "--out",
        join(work, "moved.enc"),
      ],
      gone.env,
    );
    assert.match(using.error, new RegExp(`cannot reach ${gone.vaultUrl}`));
  });

  it("a rejected or missing credential says how to sign in", async function () {
    const rejected = await fails(create("badsecret"), { AZURE_CLIENT_SECRET: "not-the-secret" });
    assert.match(rejected.error, /refused this machine.s credential/);
    assert.match(rejected.hint, /AZURE_CLIENT_ID/);
    assert.equal(existsSync(keyFile("badsecret")), false);

    const none = { AZURE_TENANT_ID: "", AZURE_CLIENT_ID: "", AZURE_CLIENT_SECRET: "" };
    const missing = await fails(create("nocredential"), none);
    assert.match(
      missing.error,
      /^no Azure credential to store secret 'cleanroom-dek-collab-nocredential-/,
    );
    assert.match(missing.hint, /az login/);
    assert.equal(existsSync(keyFile("nocredential")), false);
  });

  it("a deleted secret gives KeyVaultSecretNotFound on encrypt", async function () {
    await ok(create("deleted"));
    kv.deleteSecret(dekSecretName(CONTRACT, "deleted"));
    const missing = await fails([
      "dataset",
      "encrypt",
      CONTRACT,
      "deleted",
      "--in",
      join(work, "sales.csv"),
      "--out",
      join(work, "deleted.enc"),
    ]);
    assert.match(
      missing.error,
      /secret 'cleanroom-dek-collab-deleted-[0-9a-f]{16}' in .* does not exist/,
    );
    assert.match(missing.hint, /az keyvault secret recover/);
  });

  it("a key file that cannot be written leaves no secret behind", async function () {
    // The contract's key folder is a file: writing the key file fails after the secret is stored.
    const blocked = join(cli.home, "profiles", "northwind", "datasets", "blocked");
    writeFileSync(blocked, "");
    const result = await run([
      ...create("orphan").slice(0, 2),
      "blocked",
      ...create("orphan").slice(3),
    ]);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(kv.versions(dekSecretName("blocked", "orphan")).length, 0);
    assert.ok(kv.log.some((entry) => entry.method === "DELETE" && entry.status === 200));
  });

  it("the stand-in refuses tokens it did not issue", async function () {
    const status = await new Promise<number>((resolve, reject) => {
      const call = request(
        {
          host: "127.0.0.1",
          port: kv.port,
          servername: "kv.vault.localhost",
          path: `/secrets/${dekSecretName(CONTRACT, "sales")}?api-version=${KEY_VAULT_API_VERSIONS[0]}`,
          headers: { host: `kv.vault.localhost:${kv.port}`, authorization: "Bearer forged" },
          ca: kv.caPem,
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      call.once("error", reject);
      call.end();
    });
    assert.equal(status, 401);
  });

  it("no command printed a DEK", function () {
    const value = storedValue("sales");
    for (const text of printed) assert.ok(!text.includes(value));
  });
});
