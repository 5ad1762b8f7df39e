import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createProgram } from "./program.js";
import { setIoForTests } from "./command.js";
import { createContext, type Io } from "./context.js";
import { UserError } from "./errors.js";
import type { Stream } from "./output.js";
import { runCreateProfile } from "./commands/profile/create.js";
import { runListProfiles } from "./commands/profile/list.js";

class Fake implements Stream {
  text = "";
  constructor(readonly isTTY = false) {}
  write(text: string): void {
    this.text += text;
  }
}

function fakeIo(
  home: string,
  env: Record<string, string> = {},
): Io & { stdout: Fake; stderr: Fake } {
  return { stdout: new Fake(), stderr: new Fake(), env: { CLEANROOM_HOME: home, ...env } };
}

function userError(fn: () => unknown, code: string): UserError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof UserError, String(error));
    assert.equal(error.code, code);
    assert.ok(error.hint, "a hint");
    assert.doesNotMatch(error.message, /\n/);
    return error;
  }
  assert.fail(`expected a UserError ${code}`);
}

describe("cli context (fake I/O)", function () {
  let home: string;
  beforeEach(() => (home = mkdtempSync(join(tmpdir(), "cleanroom-ctx-"))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it("without profiles: a UserError saying how to create one", function () {
    const ctx = createContext({}, fakeIo(home));
    assert.equal(ctx.profileName, undefined);
    assert.match(userError(() => ctx.profile(), "NoProfile").hint!, /profile create/);
  });

  it("selects --profile over CLEANROOM_PROFILE over `profile use`", async function () {
    const setup = createContext({ json: true }, fakeIo(home));
    for (const name of ["a", "b", "c"]) await runCreateProfile(setup, name, {});
    // The first profile created became the current one.
    assert.equal(createContext({}, fakeIo(home)).profile().name, "a");
    assert.equal(createContext({}, fakeIo(home, { CLEANROOM_PROFILE: "b" })).profile().name, "b");
    const both = createContext({ profile: "c" }, fakeIo(home, { CLEANROOM_PROFILE: "b" }));
    assert.equal(both.profile().name, "c");
    const missing = createContext({ profile: "zz" }, fakeIo(home));
    assert.match(userError(() => missing.profile(), "UnknownProfile").hint!, /a, b, c/);
  });

  it("a profile without an endpoint gets no governance client, with a hint", async function () {
    const ctx = createContext({ profile: "a" }, fakeIo(home));
    await runCreateProfile(ctx, "a", {});
    assert.match(userError(() => ctx.governance(), "NoEndpoint").hint!, /consortium create/);
  });

  it("builds a governance client for a member profile with an endpoint", async function () {
    const io = fakeIo(home);
    const setup = createContext({ json: true }, io);
    const ca = await runCreateProfile(setup, "ca", {});
    await runCreateProfile(setup, "m", { kind: "member" });
    setup.store.update("m", (p) => {
      p.endpoint = "https://127.0.0.1:9";
      setup.store.pinServiceCert(p, setup.store.certPem(setup.store.read("ca")));
    });
    const client = createContext({ profile: "m" }, io).governance();
    try {
      assert.equal(client.gov.memberId, setup.store.read("m").id);
      assert.equal(client.transport.origin, "https://127.0.0.1:9");
    } finally {
      client.close();
    }
    // A user signs nothing.
    await runCreateProfile(setup, "u", { kind: "user" });
    setup.store.update("u", (p) => {
      p.endpoint = "https://127.0.0.1:9";
      setup.store.pinServiceCert(p, setup.store.certPem(setup.store.read("ca")));
    });
    const user = createContext({ profile: "u" }, io).governance();
    assert.equal(user.gov.memberId, undefined);
    user.close();
    assert.ok(ca.id);
  });

  it("commands print through the context's output", async function () {
    const io = fakeIo(home);
    await runCreateProfile(createContext({ json: true }, io), "a", { kind: "user" });
    const created = JSON.parse(io.stdout.text) as { name: string; kind: string };
    assert.deepEqual([created.name, created.kind], ["a", "user"]);
    const listIo = fakeIo(home);
    runListProfiles(createContext({}, listIo));
    assert.match(listIo.stdout.text, /^\*\ta\tuser\t[0-9a-f]{12}\t-\n$/);
  });

  it("runs parsed commands in-process with fake I/O", async function () {
    const io = fakeIo(home);
    setIoForTests(io);
    try {
      await createProgram().exitOverride().parseAsync(["profile", "create", "x", "--json"], {
        from: "user",
      });
      await createProgram().exitOverride().parseAsync(["profile", "list", "--json"], {
        from: "user",
      });
    } finally {
      setIoForTests(undefined);
    }
    const docs = io.stdout.text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as unknown);
    assert.equal(docs.length, 2);
    assert.equal((docs[1] as { name: string }[])[0]!.name, "x");
  });
});
