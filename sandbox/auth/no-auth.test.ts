import assert from "node:assert/strict";
import { noAuth } from "./no-auth.js";
import { contextFor, identityOf, TestGov } from "../../test/support/auth-fixtures.js";

describe("auth/no_auth", () => {
  it("succeeds for any request with {policy: 'no_auth'}", () => {
    const gov = new TestGov();
    assert.deepEqual(identityOf(noAuth.authenticate(contextFor(gov))), { policy: "no_auth" });
    const withJunk = contextFor(gov, {
      headers: { authorization: "Bearer x" },
      body: Buffer.from("{"),
    });
    assert.deepEqual(identityOf(noAuth.authenticate(withJunk)), { policy: "no_auth" });
  });
});
