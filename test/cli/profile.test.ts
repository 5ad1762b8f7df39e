import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CliHome, errorLines } from "./run.js";

interface View {
  name: string;
  current: boolean;
  kind: string | null;
  id: string;
  dir: string;
  cert: string;
  privateKey: string;
  endpoint: string | null;
  serviceCert: string | null;
}

describe("cleanroom profile (separate processes)", function () {
  let cli: CliHome;
  beforeEach(() => (cli = new CliHome()));
  afterEach(() => cli.remove());

  it("creates profiles with private keys 0600 in folders 0700, never sharing keys", async function () {
    const alice = await cli.json<View>(["profile", "create", "alice"]);
    const bob = await cli.json<View>(["profile", "create", "bob", "--kind", "user"]);
    assert.equal(alice.dir, join(cli.home, "profiles", "alice"));
    for (const view of [alice, bob]) {
      assert.equal(statSync(view.dir).mode & 0o777, 0o700);
      assert.equal(statSync(view.privateKey).mode & 0o777, 0o600);
      assert.match(readFileSync(view.privateKey, "utf8"), /^-----BEGIN PRIVATE KEY-----/);
      assert.match(readFileSync(view.cert, "utf8"), /^-----BEGIN CERTIFICATE-----/);
    }
    assert.equal(statSync(join(cli.home, "profiles")).mode & 0o777, 0o700);
    assert.notEqual(alice.id, bob.id);
    assert.notEqual(readFileSync(alice.privateKey, "utf8"), readFileSync(bob.privateKey, "utf8"));
    assert.equal(alice.kind, null);
    assert.equal(bob.kind, "user");
    // The first profile becomes the current one.
    assert.equal(alice.current, true);
    assert.equal(bob.current, false);
  });

  it("lists, shows, switches and deletes, with --json documents that parse", async function () {
    await cli.json(["profile", "create", "alice"]);
    await cli.json(["member", "keygen", "bob"]);
    const list = await cli.json<View[]>(["profile", "list"]);
    assert.deepEqual(
      list.map((v) => [v.name, v.kind, v.current]),
      [
        ["alice", null, true],
        ["bob", "member", false],
      ],
    );
    assert.deepEqual(await cli.json(["profile", "use", "bob"]), { current: "bob" });
    assert.equal((await cli.json<View>(["profile", "show"])).name, "bob");
    const env = { CLEANROOM_PROFILE: "alice" };
    const shown = await cli.run(["profile", "show", "--json"], env);
    assert.equal((JSON.parse(shown.stdout) as View).name, "alice");
    assert.equal((await cli.json<View>(["profile", "show", "--profile", "alice"])).name, "alice");

    const plain = await cli.run(["profile", "list"]);
    assert.equal(plain.code, 0);
    // Not a terminal: tab-separated rows, no header, no colour.
    assert.deepEqual(
      plain.stdout
        .trimEnd()
        .split("\n")
        .map((l) => l.split("\t").slice(0, 3)),
      [
        [" ", "alice", "-"],
        ["*", "bob", "member"],
      ],
    );
    assert.ok(!plain.stdout.includes("\u001b["), "no colour codes");

    const refused = await cli.run(["profile", "delete", "bob"]);
    assert.equal(refused.code, 1);
    assert.match(errorLines(refused).hint, /--yes/);
    assert.deepEqual(await cli.json(["profile", "delete", "bob", "--yes"]), { deleted: "bob" });
    assert.deepEqual(
      (await cli.json<View[]>(["profile", "list"])).map((v) => v.name),
      ["alice"],
    );
  });

  it("pins an endpoint and service certificate given at creation", async function () {
    const sandboxCert = (await cli.json<View>(["profile", "create", "ca"])).cert;
    const view = await cli.json<View>([
      "profile",
      "create",
      "carol",
      "--endpoint",
      "https://127.0.0.1:8443/ignored/path",
      "--service-cert",
      sandboxCert,
    ]);
    assert.equal(view.endpoint, "https://127.0.0.1:8443");
    assert.equal(readFileSync(view.serviceCert!, "utf8"), readFileSync(sandboxCert, "utf8"));
  });

  it("refuses bad input with one line and a hint, exit 1", async function () {
    await cli.json(["profile", "create", "alice"]);
    const cases: [string[], RegExp][] = [
      [["profile", "show", "nobody"], /no profile named 'nobody'/],
      [["status", "--profile", "nobody"], /no profile named 'nobody'/],
      [["profile", "create", "alice"], /already exists/],
      [["profile", "create", "../evil"], /not a valid profile name/],
      [["profile", "create", "x", "--endpoint", "http://a"], /go together/],
      [
        ["profile", "create", "x", "--endpoint", "http://a", "--service-cert", "/nonexistent"],
        /https/,
      ],
      [
        ["profile", "create", "x", "--endpoint", "https://a", "--service-cert", "/nonexistent"],
        /cannot read/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await cli.run(args);
      assert.equal(result.code, 1, args.join(" "));
      assert.equal(result.stdout, "");
      assert.match(errorLines(result).error, message);
    }
  });
});
