/** The governance app as a bundle: it builds, deploys by default, and every route resolves. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { newIdentity, startConsortium, type Consortium } from "./consortium.js";

const BUILD = process.env["GOVERNANCE_BUILD"]
  ? new URL(`file://${process.env["GOVERNANCE_BUILD"]}/`)
  : new URL("../../../governance/build/", import.meta.url);

interface Route {
  js_module: string;
  js_function: string;
  authn_policies: unknown[];
  mode: string;
}

describe("governance app: the bundle", function () {
  const bundle = JSON.parse(readFileSync(new URL("bundle.json", BUILD), "utf8")) as {
    metadata: { endpoints: Record<string, Record<string, Route>> };
    modules: { name: string; module: string }[];
  };

  it("uses no Node or Web APIs", () => {
    const forbidden =
      /\b(require\s*\(|process\.|Buffer\.|from\s+["']node:|fetch\s*\(|setTimeout|TextDecoder|atob\s*\(|btoa\s*\()/;
    // Comments may name what the code avoids ("QuickJS has no TextDecoder"): check code only.
    const withoutComments = (source: string) =>
      source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
    for (const { name, module } of bundle.modules) {
      assert.doesNotMatch(withoutComments(module), forbidden, name);
    }
  });

  it("reuses interpreters on every route (its modules keep no per-request state)", () => {
    for (const [path, methods] of Object.entries(bundle.metadata.endpoints)) {
      for (const [method, route] of Object.entries(methods)) {
        const reuse = (route as Route & { interpreter_reuse?: { key: string } }).interpreter_reuse;
        assert.equal(typeof reuse?.key, "string", `${method} ${path} has no interpreter_reuse key`);
      }
    }
  });

  it("maps every route of app.json to a function its module exports", () => {
    const modules = new Map(bundle.modules.map((m) => [m.name, m.module]));
    let routes = 0;
    for (const [path, methods] of Object.entries(bundle.metadata.endpoints)) {
      for (const [method, route] of Object.entries(methods)) {
        routes++;
        const source = modules.get(route.js_module);
        assert.ok(source, `${method} ${path}: module ${route.js_module} is missing`);
        const exported = new RegExp(`export\\s*\\{[^}]*\\b${route.js_function}\\b[^}]*\\}`);
        assert.match(source, exported, `${method} ${path}: ${route.js_function} is not exported`);
      }
    }
    assert.ok(routes > 0);
  });

  describe("served by the sandbox without --bundle", () => {
    let c: Consortium;
    before(async () => {
      c = await startConsortium();
    });
    after(async () => c?.stop());

    it("lists every route in /app/api", async () => {
      const api = (await c.call(undefined, "/app/api")).json<{ paths: Record<string, object> }>();
      for (const path of Object.keys(bundle.metadata.endpoints)) {
        assert.ok(api.paths[`/app${path}`], `${path} is missing from /app/api`);
      }
    });

    it("tells members, users and strangers who they are", async () => {
      const asMember = (await c.call(c.members[0], "/app/me")).json<{ kind: string; id: string }>();
      assert.deepEqual(asMember, { kind: "member", id: c.members[0]!.id, registered: true });
      const asUser = (await c.call(c.users[0], "/app/me")).json<{ kind: string }>();
      assert.equal(asUser.kind, "user");
      const stranger = await newIdentity("stranger");
      const asStranger = (await c.call(stranger, "/app/me")).json<{ kind: string }>();
      assert.deepEqual(asStranger, { kind: "anonymous", registered: false });
      assert.equal((await c.call(undefined, "/app/me")).json<{ kind: string }>().kind, "anonymous");
    });
  });
});
