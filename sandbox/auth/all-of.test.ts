import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { SignJWT, exportJWK } from "jose";
import { allOf } from "./all-of.js";
import { JWT_CHALLENGE } from "./jwt.js";
import {
  contextFor,
  identityOf,
  makeIdentity,
  TestGov,
  type TestIdentity,
} from "../../test/support/auth-fixtures.js";
import { AuthInternalError, type PolicyOutcome } from "./types.js";

describe("auth/all_of", () => {
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  let alice: TestIdentity;
  let gov: TestGov;
  let authorization: string;

  before(async () => {
    alice = await makeIdentity();
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ iss: "https://issuer.example", exp: now + 3600 })
      .setProtectedHeader({ alg: "ES256", kid: "k" })
      .sign(ec.privateKey);
    authorization = `Bearer ${token}`;
  });
  beforeEach(async () => {
    gov = new TestGov();
    gov.addUser(alice, { role: "owner" });
    gov.setJwtKeys("https://issuer.example", [{ ...(await exportJWK(ec.publicKey)), kid: "k" }]);
  });

  const both = () => contextFor(gov, { clientCertDer: alice.der, headers: { authorization } });

  it("runs its policies in name order and gives each sub-identity, policy names last", () => {
    for (const listed of [
      ["user_cert", "jwt"],
      ["jwt", "user_cert"],
    ]) {
      const policy = allOf(listed);
      assert.equal(policy.name, "jwt+user_cert");
      const identity = identityOf(policy.authenticate(both()));
      assert.deepEqual(Object.keys(identity), ["jwt", "user_cert", "policy"]);
      assert.deepEqual(identity["policy"], ["jwt", "user_cert"]);
      assert.deepEqual(identity["user_cert"], {
        policy: "user_cert",
        id: alice.id,
        data: { role: "owner" },
        cert: alice.certPem,
      });
      const jwt = identity["jwt"] as { policy: string; jwt: { keyIssuer: string } };
      assert.equal(jwt.policy, "jwt");
      assert.equal(jwt.jwt.keyIssuer, "https://issuer.example");
    }
  });

  it("fails on the first failing policy, naming it in the reason, with its challenge", () => {
    const policy = allOf(["user_cert", "jwt"]);
    const noToken: PolicyOutcome = policy.authenticate(
      contextFor(gov, { clientCertDer: alice.der }),
    );
    assert.deepEqual(noToken, {
      ok: false,
      reason: "jwt:Missing authorization header",
      challenge: JWT_CHALLENGE,
    });
    // jwt runs first: without a certificate, the failure is user_cert's, which has no challenge.
    const noCert = policy.authenticate(contextFor(gov, { headers: { authorization } }));
    assert.deepEqual(noCert, { ok: false, reason: "user_cert:No caller user certificate" });
  });

  it("refuses unknown and repeated names", () => {
    assert.throws(
      () => allOf(["user_cert", "member_cose_sign1"]),
      (e: unknown) =>
        e instanceof AuthInternalError && e.message === "Unknown auth policy: member_cose_sign1",
    );
    assert.throws(
      () => allOf(["jwt", "jwt"]),
      (e: unknown) =>
        e instanceof AuthInternalError && /duplicate policies identified by jwt/.test(e.message),
    );
  });

  it("may include no_auth and any_cert", () => {
    const identity = identityOf(allOf(["no_auth", "any_cert"]).authenticate(both()));
    assert.deepEqual(identity["policy"], ["any_cert", "no_auth"]);
    assert.deepEqual(identity["no_auth"], { policy: "no_auth" });
  });
});
