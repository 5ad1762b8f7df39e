/**
 * Authorisation of every route of the built app, whatever routes exist: each is called as every
 * generic kind of caller, and none may get a 2xx unless its `openapi["x-principals"]` lists that
 * kind; none may get a 5xx (docs/governance.md, "Principals").
 *
 * Callers and the kind of principal each counts as:
 * - anonymous: no certificate, no token → "anonymous"
 * - stranger: a certificate the consortium does not know → "anonymous"
 * - member: member0, Active → "member"
 * - user: user0, registered by set_user → "user"
 * - removed user: a set_user user and an invited user, each removed by `remove_identity` → the app
 *   treats them as anonymous, so they may get a 2xx only where "anonymous" is listed.
 * "approver", "owner", "participant" and "runtime" need a setup that no generic caller has: they
 * let none of these callers through unless the route lists that caller's kind too.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Identity } from "../support/client.js";
import { idOf } from "../support/gov.js";
import { newIdentity, startConsortium, type Consortium } from "./consortium.js";

const BUILD = process.env["GOVERNANCE_BUILD"]
  ? new URL(`file://${process.env["GOVERNANCE_BUILD"]}/`)
  : new URL("../../../governance/build/", import.meta.url);

const GENERIC = ["anonymous", "member", "user"] as const;
const NEEDS_SETUP = ["approver", "owner", "participant", "runtime"];
const KNOWN = new Set<string>([...GENERIC, ...NEEDS_SETUP]);

/** The value every path parameter gets: a plausible id (an invitation "c1" exists). */
const PARAMETER = "c1";

interface Route {
  openapi?: { "x-principals"?: unknown };
}

interface Principal {
  name: string;
  kind: (typeof GENERIC)[number];
  as: () => Identity | undefined;
}

const routes: [string, string, Route][] = Object.entries(
  (
    JSON.parse(readFileSync(new URL("app.json", BUILD), "utf8")) as {
      endpoints: Record<string, Record<string, Route>>;
    }
  ).endpoints,
).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, route]): [string, string, Route] => [path, method, route]),
);

describe("governance app: authorisation of every route", function () {
  let c: Consortium;
  let stranger: Identity;
  let removedInvitee: Identity;

  const principals: Principal[] = [
    { name: "anonymous", kind: "anonymous", as: () => undefined },
    { name: "stranger", kind: "anonymous", as: () => stranger },
    { name: "removed set_user user", kind: "anonymous", as: () => c.users[1] },
    { name: "removed invited user", kind: "anonymous", as: () => removedInvitee },
    { name: "user", kind: "user", as: () => c.users[0] },
    { name: "member", kind: "member", as: () => c.members[0] },
  ];

  before(async () => {
    c = await startConsortium();
    stranger = await newIdentity("stranger");
    removedInvitee = await newIdentity("removed-invitee");
    const code = randomBytes(32).toString("base64url");
    const invitation = (invitationId: string, hash: string) => ({
      name: "invite",
      args: {
        invitationId,
        role: "user",
        displayName: invitationId,
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
        codeHash: hash,
      },
    });
    const hash = createHash("sha256").update(code).digest("hex");
    const other = createHash("sha256").update(randomBytes(32)).digest("hex");
    await c.pass([invitation("removed", hash), invitation(PARAMETER, other)]);
    const accepted = await c.call(removedInvitee, "/app/invitations/removed/accept", {
      method: "POST",
      body: { code },
    });
    assert.equal(accepted.status, 201, accepted.text);
    await c.pass([
      { name: "remove_identity", args: { identityId: idOf(removedInvitee.cert) } },
      { name: "remove_identity", args: { identityId: idOf(c.users[1]!.cert) } },
    ]);
    // The set-up is what the test assumes: removed callers are anonymous, the others are not.
    for (const principal of principals) {
      const me = await c.call(principal.as(), "/app/me");
      assert.equal(me.json<{ kind: string }>().kind, principal.kind, principal.name);
    }
  });
  after(async () => c?.stop());

  it("has routes to check", () => {
    assert.ok(routes.length > 0);
  });

  for (const [path, method, route] of routes) {
    it(`${method.toUpperCase()} ${path}`, async () => {
      const declared = route.openapi?.["x-principals"];
      assert.ok(
        Array.isArray(declared) && declared.length > 0,
        `${method.toUpperCase()} ${path} has no openapi["x-principals"]`,
      );
      for (const kind of declared) {
        assert.ok(KNOWN.has(kind as string), `unknown principal kind ${String(kind)}`);
      }
      const allowed = new Set(declared as string[]);
      const url = `/app${path.replace(/\{[^}]+\}/g, PARAMETER)}`;
      const upper = method.toUpperCase();
      const failures: string[] = [];
      for (const principal of principals) {
        const reply = await c.call(principal.as(), url, {
          method: upper,
          ...(upper === "GET" || upper === "HEAD" ? {} : { body: {} }),
        });
        const what = `${upper} ${url} as ${principal.name}: ${reply.status} ${reply.text.slice(0, 200)}`;
        if (reply.status >= 500) failures.push(`server error: ${what}`);
        if (reply.status >= 200 && reply.status < 300 && !allowed.has(principal.kind)) {
          failures.push(`not a declared principal (${[...allowed].join(", ")}): ${what}`);
        }
      }
      assert.deepEqual(failures, []);
    });
  }
});
