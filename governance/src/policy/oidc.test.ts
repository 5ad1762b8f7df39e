import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify } from "jose";
import {
  base64url,
  checkAudience,
  compactJwt,
  discoveryDocument,
  parseTokenAsk,
  publishedKeys,
  signingInput,
  stillPublished,
  thumbprintInput,
  tokenClaims,
  tokenLifetime,
  type Keyring,
  type PublicJwk,
  type SigningKeyRecord,
} from "./oidc.js";

function p256(): { jwk: PublicJwk; sign(input: string): Uint8Array } {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const exported = publicKey.export({ format: "jwk" });
  const base = { kty: "EC" as const, crv: "P-256" as const, x: exported.x!, y: exported.y! };
  const kid = base64url(createHash("sha256").update(thumbprintInput(base)).digest());
  return {
    jwk: { ...base, kid, alg: "ES256", use: "sig" },
    sign: (input) =>
      sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" }),
  };
}

function record(kid: string, latestTokenExpiry: number): SigningKeyRecord {
  const jwk = { kty: "EC", crv: "P-256", x: "x", y: "y", kid, alg: "ES256", use: "sig" } as const;
  return { kid, generation: 1, jwk, createdAt: 0, createdBy: "m", latestTokenExpiry };
}

describe("policy/oidc", () => {
  it("encodes base64url without padding, as RFC 7515 does", () => {
    for (const length of [0, 1, 2, 3, 31, 32, 33, 64, 255]) {
      const bytes = randomBytes(length);
      assert.equal(base64url(bytes), Buffer.from(bytes).toString("base64url"));
    }
  });

  it("names a key by its RFC 7638 thumbprint", async () => {
    const { jwk } = p256();
    assert.equal(jwk.kid, await calculateJwkThumbprint(jwk, "sha256"));
  });

  it("assembles an ES256 JWT from a P1363 signature that jose verifies", async () => {
    const key = p256();
    const claims = tokenClaims({
      issuer: "https://issuer.example.com/cleanroom",
      contractId: "c1",
      runId: "r1",
      audience: "api://AzureADTokenExchange",
      nowSeconds: Math.floor(Date.now() / 1000) + 0.7,
      lifetimeSeconds: 300,
      jti: "00112233445566778899aabbccddeeff",
    });
    assert.equal(claims.iat, claims.nbf);
    assert.equal(claims.exp, claims.iat + 300);
    assert.ok(Number.isInteger(claims.iat));
    const input = signingInput(key.jwk.kid, claims);
    const token = compactJwt(input, key.sign(input));
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createLocalJWKSet({ keys: [key.jwk] }),
      { issuer: claims.iss, audience: claims.aud, algorithms: ["ES256"] },
    );
    assert.deepEqual(protectedHeader, { alg: "ES256", typ: "JWT", kid: key.jwk.kid });
    assert.equal(payload.sub, "contract:c1:run:r1");
    assert.equal(payload.jti, claims.jti);
    // Another key with the same kid does not verify it.
    const other = p256();
    await assert.rejects(
      jwtVerify(token, createLocalJWKSet({ keys: [{ ...other.jwk, kid: key.jwk.kid }] })),
      /signature verification failed/,
    );
    assert.throws(() => compactJwt(input, new Uint8Array(72)), RangeError);
  });

  it("caps lifetimes by the request, the contract and governance, whichever is least", () => {
    assert.equal(tokenLifetime(undefined, undefined, 3600), 3600);
    assert.equal(tokenLifetime(undefined, 600, 3600), 600);
    assert.equal(tokenLifetime(5000, 600, 3600), 600);
    assert.equal(tokenLifetime(5000, 7200, 3600), 3600);
    assert.equal(tokenLifetime(2, 600, 3600), 2);
  });

  it("checks the shape of what a runtime asks for", () => {
    assert.deepEqual(parseTokenAsk({ audience: "a" }), { ok: true, value: { audience: "a" } });
    assert.deepEqual(parseTokenAsk({ audience: "a", lifetimeSeconds: 60 }), {
      ok: true,
      value: { audience: "a", lifetimeSeconds: 60 },
    });
    for (const bad of [
      {},
      { audience: "" },
      { audience: 7 },
      { audience: "a", lifetimeSeconds: 0 },
    ]) {
      const decision = parseTokenAsk(bad);
      assert.equal(decision.ok, false);
      assert.equal(!decision.ok && decision.code, "InvalidTokenRequest");
    }
    const fractional = parseTokenAsk({ audience: "a", lifetimeSeconds: 1.5 });
    assert.match(!fractional.ok ? fractional.message : "", /positive integer/);
  });

  it("allows only audiences in the contract's token policy", () => {
    const policy = { audiences: ["api://AzureADTokenExchange", "sts.amazonaws.com"] };
    assert.deepEqual(checkAudience("sts.amazonaws.com", policy, "c1"), {
      ok: true,
      value: "sts.amazonaws.com",
    });
    const refused = checkAudience("https://evil.example", policy, "c1");
    assert.equal(!refused.ok && refused.code, "AudienceNotAllowed");
    assert.match(!refused.ok ? refused.message : "", /https:\/\/evil\.example.*c1/);
    const none = checkAudience("sts.amazonaws.com", undefined, "c1");
    assert.equal(!none.ok && none.code, "TokenPolicyMissing");
  });

  it("publishes the current key and retired keys until their last token expires", () => {
    const records = new Map([
      ["k3", record("k3", 0)],
      ["k2", record("k2", 1000)],
      ["k1", record("k1", 500)],
      ["k0", record("k0", 0)],
    ]);
    const keyring: Keyring = { current: "k3", generation: 3, retired: ["k2", "k1", "k0"] };
    const kids = (now: number) => publishedKeys(keyring, records, now).map((r) => r.kid);
    assert.deepEqual(kids(100), ["k3", "k2", "k1"]);
    assert.deepEqual(kids(499), ["k3", "k2", "k1"]);
    assert.deepEqual(kids(500), ["k3", "k2"], "a token is no longer valid at its exp");
    assert.deepEqual(kids(1000), ["k3"]);
    assert.deepEqual(stillPublished(keyring.retired, records, 600), ["k2"]);
    assert.deepEqual(publishedKeys({ generation: 0, retired: [] }, records, 0), []);
  });

  it("describes the issuer with the algorithm its tokens use", () => {
    const doc = discoveryDocument("https://issuer.example.com/cleanroom");
    assert.equal(doc["issuer"], "https://issuer.example.com/cleanroom");
    assert.equal(doc["jwks_uri"], "https://issuer.example.com/cleanroom/keys");
    assert.deepEqual(doc["id_token_signing_alg_values_supported"], ["ES256"]);
  });
});
