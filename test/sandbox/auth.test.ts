/**
 * Authentication policies over a real TLS server with client certificates, JWTs from an issuer
 * set by governance, and COSE Sign1 requests: the `caller` each builds and CCF's 401s.
 */
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, X509Certificate, type KeyObject } from "node:crypto";
import { exportJWK, SignJWT } from "jose";
import { signCoseSign1 } from "../../client/cose.js";
import { Client, type Identity } from "../support/client.js";
import { startFixture, type FixtureSandbox } from "../support/fixture.js";
import { newSelfSignedIdentity } from "../../sandbox/workspace.js";

const ISSUER = "https://issuer.example";

interface Caller {
  policy: string | string[];
  id?: string;
  cert?: string;
  data?: unknown;
  jwt?: { keyIssuer: string; header: Record<string, unknown>; payload: Record<string, unknown> };
  cose?: { content: { text: string } };
  [policy: string]: unknown;
}

const idOf = (pem: string) =>
  createHash("sha256").update(new X509Certificate(pem).raw).digest("hex");

describe("sandbox: authentication policies", function () {
  let f: FixtureSandbox;
  let stranger: Identity;
  const keys: Record<string, { privateKey: KeyObject; alg: string }> = {};

  before(async () => {
    f = await startFixture({ users: 2 });
    const generated = await newSelfSignedIdentity("CN=stranger");
    stranger = { cert: generated.certPem, key: generated.privateKeyPem };
    const jwks = [];
    for (const [kid, alg, pair] of [
      ["rsa-kid", "RS256", generateKeyPairSync("rsa", { modulusLength: 2048 })],
      ["pss-kid", "PS256", generateKeyPairSync("rsa", { modulusLength: 2048 })],
      ["ec-kid", "ES256", generateKeyPairSync("ec", { namedCurve: "P-256" })],
    ] as const) {
      keys[kid] = { privateKey: pair.privateKey, alg };
      jwks.push({ ...(await exportJWK(pair.publicKey)), kid });
    }
    await f.sandbox.applyActions([
      { name: "set_jwt_issuer", args: { issuer: ISSUER, jwks: { keys: jwks } } },
      {
        name: "set_user_data",
        args: { user_id: idOf(f.user0.cert), user_data: { role: "analyst" } },
      },
    ]);
  });
  after(async () => f?.stop());

  const whoami = async (
    path: string,
    options: Parameters<FixtureSandbox["client"]["request"]>[1],
  ) => f.client.request(`/app/auth/${path}`, options);

  const token = (kid: string, claims: Record<string, unknown> = {}, expiresIn = "1h") =>
    new SignJWT({ sub: "alice", ...claims })
      .setProtectedHeader({ alg: keys[kid]!.alg, kid })
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(keys[kid]!.privateKey);

  const bearer = async (kid: string, claims?: Record<string, unknown>, expiresIn?: string) => ({
    authorization: `Bearer ${await token(kid, claims, expiresIn)}`,
  });

  describe("user_cert and member_cert", () => {
    it("identify a registered user by the SHA-256 of its certificate, with its data", async () => {
      const reply = await whoami("user_cert", { as: f.user0 });
      assert.equal(reply.status, 200);
      const { caller, pemToIdMatches } = reply.json<{ caller: Caller; pemToIdMatches: boolean }>();
      assert.equal(caller.policy, "user_cert");
      assert.equal(caller.id, idOf(f.user0.cert));
      assert.deepEqual(caller.data, { role: "analyst" });
      assert.equal(
        new X509Certificate(caller.cert!).fingerprint256,
        new X509Certificate(f.user0.cert).fingerprint256,
      );
      assert.equal(pemToIdMatches, true);
    });

    it("refuse an unknown certificate, a member's certificate, and no certificate", async () => {
      for (const as of [stranger, f.member0, undefined]) {
        const reply = await whoami("user_cert", { as });
        assert.equal(reply.status, 401);
        const error = reply.json<{ error: { code: string; message: string; details: unknown[] } }>()
          .error;
        assert.equal(error.code, "InvalidAuthenticationInfo");
        assert.equal(error.message, "Invalid authentication credentials.");
        assert.equal(error.details.length, 1);
      }
    });

    it("identify a member by member_cert, and refuse a user there", async () => {
      const reply = await whoami("member_cert", { as: f.member0 });
      const { caller } = reply.json<{ caller: Caller }>();
      assert.equal(caller.policy, "member_cert");
      assert.equal(caller.id, idOf(f.member0.cert));
      assert.equal((await whoami("member_cert", { as: f.user0 })).status, 401);
    });
  });

  describe("any_cert", () => {
    it("accepts any client certificate and gives only its PEM", async () => {
      const { caller } = (await whoami("any_cert", { as: stranger })).json<{ caller: Caller }>();
      assert.equal(caller.policy, "any_cert");
      assert.equal(caller.id, undefined);
      assert.equal(
        new X509Certificate(caller.cert!).fingerprint256,
        new X509Certificate(stranger.cert).fingerprint256,
      );
      assert.equal((await whoami("any_cert", {})).status, 401);
    });
  });

  describe("jwt", () => {
    for (const kid of ["rsa-kid", "pss-kid", "ec-kid"]) {
      it(`accepts a valid token signed with ${kid}`, async () => {
        const reply = await whoami("jwt", { headers: await bearer(kid, { tid: "t1" }) });
        assert.equal(reply.status, 200, reply.text);
        const { caller } = reply.json<{ caller: Caller }>();
        assert.equal(caller.policy, "jwt");
        assert.equal(caller.jwt!.keyIssuer, ISSUER);
        assert.equal(caller.jwt!.header["kid"], kid);
        assert.equal(caller.jwt!.payload["sub"], "alice");
        assert.equal(caller.jwt!.payload["tid"], "t1");
      });
    }

    it("refuses expired, not-yet-valid, unknown-key and tampered tokens with a Bearer challenge", async () => {
      const good = await token("ec-kid");
      const [head, payload] = good.split(".");
      const other = await token("rsa-kid");
      const cases: Record<string, string> = {
        expired: await token("ec-kid", {}, "-10s"),
        future: await token("ec-kid", { nbf: Math.floor(Date.now() / 1000) + 3600 }),
        unknownKid: await new SignJWT({ sub: "x" })
          .setProtectedHeader({ alg: "ES256", kid: "nope" })
          .setExpirationTime("1h")
          .sign(keys["ec-kid"]!.privateKey),
        forgedSignature: `${head}.${payload}.${other.split(".")[2]}`,
        garbage: "not.a.token",
      };
      for (const [name, value] of Object.entries(cases)) {
        const reply = await whoami("jwt", { headers: { authorization: `Bearer ${value}` } });
        assert.equal(reply.status, 401, name);
        assert.match(String(reply.headers["www-authenticate"]), /^Bearer /, name);
      }
      const missing = await whoami("jwt", {});
      assert.equal(missing.status, 401);
    });

    it("stops accepting an issuer's tokens once governance removes it", async () => {
      const headers = await bearer("ec-kid");
      assert.equal((await whoami("jwt", { headers })).status, 200);
      await f.sandbox.applyActions([{ name: "remove_jwt_issuer", args: { issuer: ISSUER } }]);
      try {
        assert.equal((await whoami("jwt", { headers })).status, 401);
      } finally {
        const jwks = [];
        for (const [kid, k] of Object.entries(keys)) {
          const {
            d: _d,
            p: _p,
            q: _q,
            dp: _dp,
            dq: _dq,
            qi: _qi,
            ...pub
          } = await exportJWK(k.privateKey);
          jwks.push({ ...pub, kid });
        }
        await f.sandbox.applyActions([
          { name: "set_jwt_issuer", args: { issuer: ISSUER, jwks: { keys: jwks } } },
        ]);
      }
    });
  });

  describe("user_cose_sign1", () => {
    const signed = (identity: Identity, kid: string, payload: string) =>
      signCoseSign1({
        privateKeyPem: identity.key,
        kid,
        protectedHeaders: { "ccf.msg.type": "greeting", "ccf.msg.created_at": 1_700_000_000 },
        payload: Buffer.from(payload),
      });

    it("verifies the signature with the user's certificate and exposes the payload", async () => {
      const body = signed(f.user0, idOf(f.user0.cert), "hello governance");
      const reply = await whoami("user_cose_sign1", {
        method: "POST",
        body,
        headers: { "content-type": "application/cose" },
      });
      assert.equal(reply.status, 200, reply.text);
      const { caller } = reply.json<{ caller: Caller }>();
      assert.equal(caller.policy, "user_cose_sign1");
      assert.equal(caller.id, idOf(f.user0.cert));
      assert.equal(caller.cose!.content.text, "hello governance");
    });

    it("refuses another user's kid, a stranger's key, and the wrong content type", async () => {
      const user1 = idOf(Client.identity(f.sandbox.workspace, "user1").cert);
      const cases = [
        { body: signed(f.user0, user1, "x"), type: "application/cose" },
        { body: signed(stranger, idOf(stranger.cert), "x"), type: "application/cose" },
        { body: signed(f.user0, idOf(f.user0.cert), "x"), type: "application/json" },
      ];
      for (const [i, c] of cases.entries()) {
        const reply = await whoami("user_cose_sign1", {
          method: "POST",
          body: c.body,
          headers: { "content-type": c.type },
        });
        assert.equal(reply.status, 401, `case ${i}`);
      }
    });

    it("answers 500 for a body that is not COSE at all, as CCF's decoder throws", async () => {
      const reply = await whoami("user_cose_sign1", {
        method: "POST",
        body: Buffer.from("not cbor"),
        headers: { "content-type": "application/cose" },
      });
      assert.equal(reply.status, 500);
      assert.equal(reply.json<{ error: { code: string } }>().error.code, "InternalError");
    });
  });

  describe("no_auth, all_of, fallbacks and the empty list", () => {
    it("no_auth always succeeds; the empty list gives caller null", async () => {
      const none = (await whoami("no_auth", {})).json<{ caller: Caller }>();
      assert.deepEqual(none.caller, { policy: "no_auth" });
      const empty = (await whoami("none", {})).json<{ caller: Caller | null }>();
      assert.equal(empty.caller, null);
    });

    it("all_of needs every policy and gives each sub-identity, in CCF's (sorted) order", async () => {
      const reply = await whoami("all_of", { as: f.user0, headers: await bearer("ec-kid") });
      assert.equal(reply.status, 200, reply.text);
      const { caller } = reply.json<{ caller: Caller }>();
      // CCF keeps an all_of's policies in a map sorted by name, whatever order app.json lists.
      assert.deepEqual(caller.policy, ["jwt", "user_cert"]);
      const parts = caller as unknown as Record<string, Caller>;
      assert.equal(parts["user_cert"]!.id, idOf(f.user0.cert));
      assert.equal(parts["jwt"]!.jwt!.keyIssuer, ISSUER);
      assert.equal((await whoami("all_of", { as: f.user0 })).status, 401);
      assert.equal((await whoami("all_of", { headers: await bearer("ec-kid") })).status, 401);
    });

    it("tries policies in order and reports each failure in details", async () => {
      const byCert = (await whoami("either", { as: f.user0 })).json<{ caller: Caller }>();
      assert.equal(byCert.caller.policy, "user_cert");
      const byJwt = await whoami("either", { headers: await bearer("rsa-kid") });
      assert.equal(byJwt.json<{ caller: Caller }>().caller.policy, "jwt");
      const neither = await whoami("either", { as: stranger });
      assert.equal(neither.status, 401);
      const details = neither.json<{ error: { details: { code: string; message: string }[] } }>()
        .error.details;
      assert.equal(details.length, 2);
      for (const d of details) {
        assert.equal(typeof d.code, "string");
        assert.equal(typeof d.message, "string");
      }
    });

    it("answers 500 for an unknown policy name", async () => {
      const reply = await whoami("unknown", {});
      assert.equal(reply.status, 500);
    });
  });
});
