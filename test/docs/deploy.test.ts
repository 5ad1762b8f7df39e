/**
 * `cleanroom consortium deploy`, the deploy step of docs/real-ccf.md, against a real sandbox in
 * its own process: the member's proposal replaces the app, and the default bundle brings the
 * governance app back.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "../support/client.js";
import { CliHome, errorLines, pidAlive } from "../cli/run.js";

interface Deployed {
  routes: number;
  modules: number;
  serviceStatus: string;
  opens: boolean;
  proposal: { proposalState: string; proposalId: string };
}

/** An app with one anonymous route, to tell it apart from the governance app. */
function helloApp(dir: string): string {
  mkdirSync(join(dir, "src"), { recursive: true });
  const route = {
    js_module: "hello.js",
    js_function: "hello",
    authn_policies: ["no_auth"],
    mode: "readonly",
    forwarding_required: "never",
    openapi: {},
  };
  writeFileSync(join(dir, "app.json"), JSON.stringify({ endpoints: { "/hello": { get: route } } }));
  writeFileSync(
    join(dir, "src", "hello.js"),
    'export function hello() { return { body: "deployed" }; }\n',
  );
  return dir;
}

describe("cleanroom consortium deploy (a real sandbox, separate processes)", function () {
  this.timeout(120_000);
  let cli: CliHome;
  let scratch: string;
  let pid: number | undefined;
  let client: Client;

  before(async () => {
    cli = new CliHome();
    scratch = mkdtempSync(join(tmpdir(), "cleanroom-deploy-"));
    const created = await cli.json<{ pid: number; url: string; serviceCert: string }>([
      "consortium",
      "create",
      "--port",
      "0",
    ]);
    pid = created.pid;
    client = new Client(created.url, readFileSync(created.serviceCert, "utf8"));
  });

  after(async () => {
    client?.close();
    if (pid !== undefined && pidAlive(pid)) await cli.run(["consortium", "stop"]);
    if (pid !== undefined && pidAlive(pid)) process.kill(pid, "SIGKILL");
    cli.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("deploys another bundle, then the governance app again", async function () {
    const hello = await cli.json<Deployed>([
      "consortium",
      "deploy",
      "--bundle",
      helloApp(join(scratch, "hello")),
    ]);
    assert.deepEqual([hello.routes, hello.modules], [1, 1]);
    assert.equal(hello.proposal.proposalState, "Accepted");
    const served = await client.request("/app/hello");
    assert.equal(served.status, 200);
    assert.equal(served.text, "deployed");
    assert.equal((await client.request("/app/oidc/keys")).status, 404);

    // The default is the built governance app; --open on an Open service opens nothing.
    const governance = await cli.json<Deployed>(["consortium", "deploy", "--open"]);
    assert.equal(governance.proposal.proposalState, "Accepted");
    assert.equal(governance.serviceStatus, "Open");
    assert.equal(governance.opens, false);
    assert.ok(governance.routes > 30, `the governance app has many routes (${governance.routes})`);
    assert.equal((await client.request("/app/hello")).status, 404);
    const oidc = await client.request("/app/oidc/keys");
    assert.equal(oidc.json<{ error: { code: string } }>().error.code, "OidcIssuerNotEnabled");
  });

  it("refuses a path that is not a bundle, in one line with a hint", async function () {
    const result = await cli.run(["consortium", "deploy", "--bundle", join(scratch, "none.json")]);
    assert.equal(result.code, 1);
    const { error, hint } = errorLines(result);
    assert.match(error, /Bundle not found/);
    assert.match(hint, /governance\/build\/bundle\.json/);
  });
});
