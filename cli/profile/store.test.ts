import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configHome, ProfileStore } from "./store.js";

describe("profile store", function () {
  let home: string;
  let store: ProfileStore;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "cleanroom-store-"));
    store = new ProfileStore(join(home, "config"));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it("finds the config directory: CLEANROOM_HOME, then XDG_CONFIG_HOME, then ~/.config", function () {
    assert.equal(configHome({ CLEANROOM_HOME: "/a", XDG_CONFIG_HOME: "/x", HOME: "/h" }), "/a");
    assert.equal(configHome({ XDG_CONFIG_HOME: "/x", HOME: "/h" }), "/x/cleanroom");
    assert.equal(configHome({ HOME: "/h" }), "/h/.config/cleanroom");
  });

  it("keeps each persona's key private to it", async function () {
    const a = await store.create("a", { kind: "member" });
    const b = await store.create("b");
    for (const name of ["a", "b"]) {
      assert.equal(statSync(store.dir(name)).mode & 0o777, 0o700);
      assert.equal(statSync(join(store.dir(name), "privk.pem")).mode & 0o777, 0o600);
    }
    assert.equal(statSync(store.home).mode & 0o777, 0o700);
    assert.notEqual(a.id, b.id);
    assert.notEqual(store.privateKeyPem(a), store.privateKeyPem(b));
    assert.deepEqual(store.read("a"), a);
    assert.deepEqual(store.names(), ["a", "b"]);
  });

  it("refuses names that could escape its folder, and duplicates", async function () {
    for (const name of ["..", "../x", "a/b", "", ".hidden", "x".repeat(65), "a."]) {
      await assert.rejects(store.create(name), /not a valid profile name/, name);
    }
    await store.create("ok");
    await assert.rejects(store.create("ok"), /already exists/);
  });

  it("replaces a folder left by an interrupted create, and deletes with its current mark", async function () {
    mkdirSync(join(store.home, "profiles", "half"), { recursive: true });
    assert.equal(store.exists("half"), false);
    await store.create("half");
    store.setCurrent("half");
    assert.equal(store.currentName(), "half");
    store.delete("half");
    assert.equal(existsSync(store.dir("half")), false);
    assert.equal(store.currentName(), undefined);
    assert.throws(() => store.delete("half"), /no profile named 'half'/);
  });

  it("refuses to pin something that is not a certificate", async function () {
    const p = await store.create("p");
    assert.throws(() => store.pinServiceCert(p, "not a cert"), /not a PEM certificate/);
    store.pinServiceCert(p, store.certPem(p));
    store.write(p);
    assert.equal(
      store.serviceCertPem(store.read("p")),
      readFileSync(join(store.dir("p"), "cert.pem"), "utf8"),
    );
  });
});
