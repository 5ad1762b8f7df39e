import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { SignJWT, exportJWK } from "jose";
import { signCoseSign1 } from "../../client/cose.js";
import { errorResponse } from "../http/messages.js";
import { authenticate, type AuthResult, type GovReader, type PolicyDescription } from "./index.js";
import { JWT_CHALLENGE } from "./jwt.js";
import {
  makeIdentity,
  TestGov,
  type RequestParts,
  type TestIdentity,
} from "../../test/support/auth-fixtures.js";
import { COSE_CHALLENGE } from "../cose/signer.js";

function caller(result: AuthResult): unknown {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result)}`);
  return result.caller;
}

describe("auth: authenticate", () => {
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  let alice: TestIdentity;
  let stranger: TestIdentity;
  let gov: TestGov;
  let authorization: string;

  before(async () => {
    [alice, stranger] = await Promise.all([makeIdentity(), makeIdentity()]);
    const token = await new SignJWT({
      iss: "https://issuer.example",
      exp: Math.floor(Date.now() / 1000) + 600,
    })
      .setProtectedHeader({ alg: "ES256", kid: "k" })
      .sign(ec.privateKey);
    authorization = `Bearer ${token}`;
  });
  beforeEach(async () => {
    gov = new TestGov();
    gov.addUser(alice);
    gov.setJwtKeys("https://issuer.example", [{ ...(await exportJWK(ec.publicKey)), kid: "k" }]);
  });

  const auth = (
    policies: PolicyDescription[],
    parts: RequestParts = {},
    reader: GovReader = gov.reader,
  ) =>
    authenticate(
      policies,
      {
        headers: parts.headers ?? {},
        body: parts.body ?? new Uint8Array(0),
        clientCertDer: parts.clientCertDer,
      },
      reader,
      Date.now(),
    );

  it("gives caller null for an empty policy list, whatever the request", () => {
    assert.deepEqual(auth([]), { ok: true, caller: null });
    assert.deepEqual(auth([], { clientCertDer: alice.der }), { ok: true, caller: null });
  });

  it("tries policies in order; the first success wins", () => {
    const both = { clientCertDer: alice.der, headers: { authorization } };
    assert.equal(
      (caller(auth(["user_cert", "jwt"], both)) as { policy: string }).policy,
      "user_cert",
    );
    assert.equal((caller(auth(["jwt", "user_cert"], both)) as { policy: string }).policy, "jwt");
    assert.equal(
      (caller(auth(["user_cert", "jwt"], { headers: { authorization } })) as { policy: string })
        .policy,
      "jwt",
    );
    assert.deepEqual(caller(auth(["user_cert", "no_auth"])), { policy: "no_auth" });
  });

  it("answers 401 with one detail per policy and the last policy's challenge", () => {
    const result = auth(["user_cert", "jwt"], { clientCertDer: stranger.der });
    assert.deepEqual(result, {
      ok: false,
      status: 401,
      error: {
        code: "InvalidAuthenticationInfo",
        message: "Invalid authentication credentials.",
        details: [
          {
            auth_policy: "user_cert",
            code: "InvalidAuthenticationInfo",
            message: "Could not find matching user certificate",
          },
          {
            auth_policy: "jwt",
            code: "InvalidAuthenticationInfo",
            message: "Missing authorization header",
          },
        ],
      },
      headers: { "www-authenticate": JWT_CHALLENGE },
    });
    // As the node sends it.
    assert.ok(!result.ok);
    const response = errorResponse(
      result.status,
      result.error.code,
      result.error.message,
      result.error.details,
      result.headers,
    );
    assert.equal(response.headers["www-authenticate"], JWT_CHALLENGE);
    const body = JSON.parse(Buffer.from(response.body!).toString("utf8")) as {
      error: { details: unknown[] };
    };
    assert.equal(body.error.details.length, 2);
  });

  it("sets no challenge when the last policy is certificate-based, COSE's when it is user_cose_sign1", () => {
    const certLast = auth(["jwt", "user_cert"]);
    assert.ok(!certLast.ok);
    assert.deepEqual(certLast.headers, {});
    assert.deepEqual(
      certLast.error.details?.map((d) => d["auth_policy"]),
      ["jwt", "user_cert"],
    );
    const coseLast = auth(["user_cert", "user_cose_sign1"]);
    assert.ok(!coseLast.ok);
    assert.deepEqual(coseLast.headers, { "www-authenticate": COSE_CHALLENGE });
    assert.equal(coseLast.error.details?.[1]?.message, "Missing content-type header");
  });

  it("authenticates all_of and reports its partial failure under its combined name", () => {
    const ok = caller(
      auth([{ all_of: ["user_cert", "jwt"] }], {
        clientCertDer: alice.der,
        headers: { authorization },
      }),
    );
    assert.deepEqual((ok as { policy: string[] }).policy, ["jwt", "user_cert"]);

    const partial = auth([{ all_of: ["user_cert", "jwt"] }], { clientCertDer: alice.der });
    assert.ok(!partial.ok);
    assert.equal(partial.status, 401);
    assert.deepEqual(partial.error.details, [
      {
        auth_policy: "jwt+user_cert",
        code: "InvalidAuthenticationInfo",
        message: "jwt:Missing authorization header",
      },
    ]);
    assert.deepEqual(partial.headers, { "www-authenticate": JWT_CHALLENGE });
  });

  it("answers 500 for unknown or malformed policies, even after one that would succeed", () => {
    const cases: [PolicyDescription[], string][] = [
      [["user_cert_typo"], "Unknown auth policy: user_cert_typo"],
      [["no_auth", "member_cose_sign1"], "Unknown auth policy: member_cose_sign1"],
      [[{ all_of: ["jwt", "nope"] }], "Unknown auth policy: nope"],
      [
        [{ all_of: ["jwt", "jwt"] }],
        "AND authentication policy contains duplicate policies identified by jwt (policy = )",
      ],
      [
        [{ all_of: [] }],
        'Unsupported auth policy. Policies must be either a string, or an object containing an "all_of" key with list-of-strings value. Unsupported value: {"all_of":[]}',
      ],
      [
        [{ any_of: ["jwt"] } as unknown as PolicyDescription],
        'Unsupported auth policy. Policies must be either a string, or an object containing an "all_of" key with list-of-strings value. Unsupported value: {"any_of":["jwt"]}',
      ],
      [
        [{ all_of: ["jwt", 3] } as unknown as PolicyDescription],
        'Unsupported auth policy. Policies must be either a string, or an object containing an "all_of" key with list-of-strings value. Unsupported value: {"all_of":["jwt",3]}',
      ],
    ];
    for (const [policies, message] of cases) {
      assert.deepEqual(
        auth(policies, { clientCertDer: alice.der }),
        { ok: false, status: 500, error: { code: "InternalError", message }, headers: {} },
        message,
      );
    }
  });

  it("answers 500 with CCF's decoder message for a COSE body that does not decode", () => {
    const result = auth(["user_cose_sign1", "no_auth"], {
      headers: { "content-type": "application/cose" },
      body: Buffer.from("not cbor"),
    });
    assert.deepEqual(result, {
      ok: false,
      status: 500,
      error: { code: "InternalError", message: "Failed to parse COSE_Sign1 outer array" },
      headers: {},
    });
  });

  it("authenticates a signed COSE request end to end", () => {
    const body = signCoseSign1({
      privateKeyPem: alice.privateKeyPem,
      kid: alice.id,
      payload: Buffer.from("x"),
    });
    const result = caller(
      auth(["user_cose_sign1"], { headers: { "content-type": "application/cose" }, body }),
    );
    assert.equal((result as { id: string }).id, alice.id);
  });

  it("never throws: a failing governance read becomes a 500", () => {
    const broken: GovReader = {
      get: () => {
        throw new Error("store unavailable");
      },
    };
    assert.deepEqual(auth(["user_cert"], { clientCertDer: alice.der }, broken), {
      ok: false,
      status: 500,
      error: { code: "InternalError", message: "store unavailable" },
      headers: {},
    });
  });
});
