import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignJWT, exportJWK, type JWTPayload } from "jose";
import { JWT_CHALLENGE, jwt, validateIssuer } from "./jwt.js";
import { contextFor, identityOf, reasonOf, TestGov } from "../../test/support/auth-fixtures.js";
import type { PolicyOutcome } from "./types.js";

const ISSUER = "https://issuer.example";
const NOW = 1_800_000_000; // seconds
const NOW_MS = NOW * 1000 + 250;

interface Signer {
  kid: string;
  alg: "RS256" | "PS256" | "ES256";
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function signer(kid: string, alg: Signer["alg"]): Signer {
  const pair =
    alg === "ES256"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, alg, ...pair };
}

/** A token signed by jose (an independent implementation). */
async function token(
  s: Signer,
  claims: JWTPayload = {},
  header: { alg?: string; kid?: string } = {},
): Promise<string> {
  return new SignJWT({ iss: ISSUER, sub: "alice", iat: NOW - 60, exp: NOW + 3600, ...claims })
    .setProtectedHeader({ alg: s.alg, kid: s.kid, ...header })
    .sign(s.privateKey);
}

const bearer = (value: string) => ({ headers: { authorization: `Bearer ${value}` } });

describe("auth/jwt", () => {
  const rsa = signer("rsa-kid", "RS256");
  const pss = signer("pss-kid", "PS256");
  const ec = signer("ec-kid", "ES256");
  let gov: TestGov;

  const run = (parts: Parameters<typeof contextFor>[1], nowMs = NOW_MS): PolicyOutcome =>
    jwt.authenticate(contextFor(gov, parts, nowMs));
  const failure = (outcome: PolicyOutcome): string => {
    assert.equal(outcome.ok ? undefined : outcome.challenge, JWT_CHALLENGE);
    return reasonOf(outcome);
  };

  beforeEach(async () => {
    gov = new TestGov();
    const keys = [];
    for (const s of [rsa, pss, ec]) keys.push({ ...(await exportJWK(s.publicKey)), kid: s.kid });
    gov.setJwtKeys(ISSUER, keys);
  });

  for (const s of [rsa, pss, ec]) {
    it(`accepts a valid ${s.alg} token and gives keyIssuer, header and payload`, async () => {
      const value = await token(s, { iss: "https://someone.else", tid: "t1", n: 1 });
      const identity = identityOf(run(bearer(value)));
      assert.deepEqual(identity, {
        policy: "jwt",
        jwt: {
          keyIssuer: ISSUER,
          header: { alg: s.alg, kid: s.kid },
          payload: {
            iss: "https://someone.else",
            sub: "alice",
            iat: NOW - 60,
            exp: NOW + 3600,
            tid: "t1",
            n: 1,
          },
        },
      });
    });
  }

  it("checks exp (required) and nbf (optional) against the clock, to the second", async () => {
    const expiring = await token(ec, { exp: NOW });
    assert.equal(run(bearer(expiring), NOW * 1000 + 999).ok, true);
    assert.equal(
      failure(run(bearer(expiring), (NOW + 1) * 1000)),
      `Current time ${NOW + 1} is after token's Expiration Time (exp) claim ${NOW}`,
    );
    const early = await token(ec, { nbf: NOW + 10 });
    assert.equal(
      failure(run(bearer(early))),
      `Current time ${NOW} is before token's Not Before (nbf) claim ${NOW + 10}`,
    );
    assert.equal(run(bearer(early), (NOW + 10) * 1000).ok, true);
    assert.equal(
      failure(run(bearer(await token(ec, { exp: undefined })))),
      "JWT payload is missing required field: exp must be a non-negative number",
    );
    assert.equal(
      failure(run(bearer(await token(ec, { iss: undefined })))),
      "JWT payload is missing required field: iss must be a string",
    );
    assert.equal(
      failure(run(bearer(await token(ec, { nbf: "soon" as unknown as number })))),
      "JWT payload is missing required field: nbf must be a non-negative number",
    );
  });

  it("refuses an unknown kid, a bad signature and another key's signature", async () => {
    assert.equal(
      failure(run(bearer(await token(ec, {}, { kid: "nope" })))),
      "JWT signing key not found for kid nope",
    );
    const [head, , signature] = (await token(ec)).split(".");
    const otherPayload = (await token(ec, { sub: "mallory" })).split(".")[1];
    assert.equal(
      failure(run(bearer(`${head}.${otherPayload}.${signature}`))),
      "Signature verification failed",
    );
    const impostor = { ...signer("ec-kid", "ES256") };
    assert.equal(failure(run(bearer(await token(impostor)))), "Signature verification failed");
    // An RSA signature under an EC key's kid, and a PKCS#1 signature presented as PS256.
    assert.equal(
      failure(run(bearer(await token(rsa, {}, { kid: "ec-kid" })))),
      "Signature verification failed",
    );
    const rs256 = await token(rsa, {}, { kid: "pss-kid" });
    const [, body, sig] = rs256.split(".");
    const psHeader = Buffer.from(JSON.stringify({ alg: "PS256", kid: "rsa-kid" })).toString(
      "base64url",
    );
    assert.equal(
      failure(run(bearer(`${psHeader}.${body}.${sig}`))),
      "Signature verification failed",
    );
  });

  it("refuses malformed authorization headers and tokens with CCF's reasons", () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const payload = b64({ iss: ISSUER, exp: NOW + 60 });
    const cases: [Record<string, string>, string][] = [
      [{}, "Missing authorization header"],
      [{ authorization: "Bearer" }, "Authorization header only contains one field"],
      [{ authorization: "Basic dXNlcjpwYXNz" }, "Authorization header does not have Bearer scheme"],
      [{ authorization: "bearer a.b.c" }, "Authorization header does not have Bearer scheme"],
      [{ authorization: "Bearer a.b" }, "Malformed JWT: must contain exactly 3 parts"],
      [{ authorization: "Bearer a.b.c.d" }, "Malformed JWT: must contain exactly 3 parts"],
      [
        { authorization: `Bearer ${b64([1])}.${payload}.c2ln` },
        "JWT header or payload is not an object",
      ],
      [
        { authorization: `Bearer ${b64({ alg: "HS256", kid: "ec-kid" })}.${payload}.c2ln` },
        "JWT header does not follow schema: alg must be one of RS256, ES256, PS256",
      ],
      [
        { authorization: `Bearer ${b64({ alg: "none", kid: "ec-kid" })}.${payload}.` },
        "JWT header does not follow schema: alg must be one of RS256, ES256, PS256",
      ],
      [
        { authorization: `Bearer ${b64({ alg: "ES256", kid: 7 })}.${payload}.c2ln` },
        "JWT header does not follow schema: kid must be a string",
      ],
    ];
    for (const [headers, reason] of cases) {
      assert.equal(failure(run({ headers })), reason, JSON.stringify(headers));
    }
    assert.match(failure(run(bearer("not.a.token"))), /^JWT header or payload is not valid JSON: /);
  });

  it("applies a key's issuer constraint to iss (and refuses a tid outside Entra)", async () => {
    const jwk = { ...(await exportJWK(ec.publicKey)), kid: "ec-kid", issuer: ISSUER };
    gov.setJwtKeys(ISSUER, [jwk]);
    assert.equal(run(bearer(await token(ec))).ok, true);
    assert.equal(
      failure(run(bearer(await token(ec, { iss: "https://evil.example" })))),
      `Kid ec-kid failed issuer constraint validation ${ISSUER}`,
    );
    assert.equal(
      failure(run(bearer(await token(ec, { tid: "t1" })))),
      `Kid ec-kid failed issuer constraint validation ${ISSUER}`,
    );
  });

  it("resolves Entra's {tenantid} constraint with the token's tid", async () => {
    const entra = "https://login.microsoftonline.com/{tenantid}/v2.0";
    gov.removeJwtIssuer(ISSUER);
    gov.setJwtKeys("entra", [{ ...(await exportJWK(ec.publicKey)), kid: "ec-kid", issuer: entra }]);
    const tenantIss = "https://login.microsoftonline.com/t1/v2.0";
    assert.equal(run(bearer(await token(ec, { iss: tenantIss, tid: "t1" }))).ok, true);
    assert.equal(run(bearer(await token(ec, { iss: tenantIss, tid: "t2" }))).ok, false);
    assert.equal(run(bearer(await token(ec, { iss: tenantIss }))).ok, false);

    assert.equal(validateIssuer(tenantIss, "t1", entra), true);
    assert.equal(
      validateIssuer(tenantIss, "t1", "https://login.microsoftonline.com/t1/v2.0"),
      true,
    );
    assert.equal(
      validateIssuer(tenantIss, "t2", "https://login.microsoftonline.com/t1/v2.0"),
      false,
    );
    assert.equal(validateIssuer("https://a.example", undefined, "https://a.example"), true);
    assert.equal(validateIssuer("https://a.example", "t", "https://a.example"), false);
    assert.equal(validateIssuer("https://a.example/", undefined, "https://a.example"), false);
    assert.equal(validateIssuer("x", undefined, "not a url"), false);
    assert.equal(validateIssuer("not a url", undefined, "not a url"), true);
  });

  it("tries every issuer's key for a shared kid and reports the issuer whose key verified", async () => {
    const other = signer("ec-kid", "ES256");
    gov.setJwtKeys("https://second.example", [
      { ...(await exportJWK(other.publicKey)), kid: "ec-kid" },
    ]);
    const viaSecond = identityOf(run(bearer(await token(other))));
    assert.equal((viaSecond["jwt"] as { keyIssuer: string }).keyIssuer, "https://second.example");
    const viaFirst = identityOf(run(bearer(await token(ec))));
    assert.equal((viaFirst["jwt"] as { keyIssuer: string }).keyIssuer, ISSUER);
  });

  it("stops accepting an issuer's tokens once governance removes its keys", async () => {
    const value = await token(ec);
    assert.equal(run(bearer(value)).ok, true);
    gov.removeJwtIssuer(ISSUER);
    assert.equal(failure(run(bearer(value))), "JWT signing key not found for kid ec-kid");
  });
});
