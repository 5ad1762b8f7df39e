/**
 * `cleanroom sandbox start` as a user runs it, driven the way CCF's own samples are driven:
 * curl with `--cacert service_cert.pem --cert user0_cert.pem --key user0_privk.pem`.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CLI, exitOf, startSandboxProcess } from "../support/cli.js";
import { FIXTURE_BUNDLE } from "../support/fixture.js";

const run = promisify(execFile);

describe("cleanroom sandbox start", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "cleanroom-cli-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a CCF-style workspace, serves curl with certificates, and stops on SIGTERM", async () => {
    const workspace = join(dir, "ws");
    const { child, ready } = await startSandboxProcess([
      "--bundle",
      FIXTURE_BUNDLE,
      "--workspace",
      workspace,
      "--port",
      "0",
      "--users",
      "2",
    ]);
    try {
      assert.match(ready["url"]!, /^https:\/\/127\.0\.0\.1:\d+$/);
      for (const file of [
        "service_cert.pem",
        "member0_cert.pem",
        "member0_privk.pem",
        "user0_cert.pem",
        "user0_privk.pem",
        "user1_cert.pem",
        "user1_privk.pem",
      ]) {
        assert.ok(existsSync(join(workspace, file)), file);
      }
      assert.equal(statSync(join(workspace, "user0_privk.pem")).mode & 0o777, 0o600);

      const curl = (...args: string[]) =>
        run("curl", [
          "--silent",
          "--show-error",
          "--cacert",
          join(workspace, "service_cert.pem"),
          "--cert",
          join(workspace, "user0_cert.pem"),
          "--key",
          join(workspace, "user0_privk.pem"),
          "--write-out",
          "\n%{http_code}",
          ...args,
        ]);
      const put = await curl(
        "-X",
        "PUT",
        "--data-binary",
        "from curl",
        `${ready["url"]}/app/kv/public:c/k`,
      );
      assert.equal(put.stdout.trim(), "204");
      const got = await curl(`${ready["url"]}/app/kv/public:c/k`);
      assert.equal(got.stdout, "from curl\n200");
      const commit = await curl(`${ready["url"]}/app/commit`);
      assert.match(commit.stdout, /^\{"transaction_id":"\d+\.\d+"\}\n200$/);
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exitOf(child), 0);
  });

  it("keeps the workspace's identities across restarts", async () => {
    const workspace = join(dir, "again");
    const first = await startSandboxProcess([
      "--bundle",
      FIXTURE_BUNDLE,
      "--workspace",
      workspace,
      "--port",
      "0",
    ]);
    first.child.kill("SIGTERM");
    await exitOf(first.child);
    const certBefore = statSync(join(workspace, "service_cert.pem")).mtimeMs;
    const second = await startSandboxProcess([
      "--bundle",
      FIXTURE_BUNDLE,
      "--workspace",
      workspace,
      "--port",
      "0",
    ]);
    second.child.kill("SIGTERM");
    await exitOf(second.child);
    assert.equal(statSync(join(workspace, "service_cert.pem")).mtimeMs, certBefore);
  });

  it("explains a missing bundle in one line and exits 1", async () => {
    const result = await run(process.execPath, [
      CLI,
      "sandbox",
      "start",
      "--bundle",
      join(dir, "nope"),
      "--workspace",
      join(dir, "ws-bad"),
      "--port",
      "0",
    ]).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: Bundle not found: .*nope\nhint: /);
  });

  it("runs as `npx cleanroom` from the repository, with no global install", async () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    const { stdout } = await run("npx", ["--no-install", "cleanroom", "--version"], { cwd: root });
    assert.equal(stdout.trim(), pkg.version);
  });

  it("teaches its options in --help", async () => {
    const { stdout } = await run(process.execPath, [CLI, "sandbox", "start", "--help"]);
    for (const option of [
      "--bundle",
      "--workspace",
      "--members",
      "--users",
      "--port",
      "Examples:",
    ]) {
      assert.ok(stdout.includes(option), option);
    }
  });
});
