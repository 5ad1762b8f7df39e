import assert from "node:assert/strict";
import { memberCert } from "./member-cert.js";
import {
  makeIdentity,
  contextFor,
  identityOf,
  reasonOf,
  TestGov,
  type TestIdentity,
} from "../../test/support/auth-fixtures.js";

describe("auth/member_cert", () => {
  let member: TestIdentity;
  let user: TestIdentity;
  let expired: TestIdentity;
  let gov: TestGov;

  before(async () => {
    [member, user, expired] = await Promise.all([
      makeIdentity({ name: "CN=member0" }),
      makeIdentity({ name: "CN=user0" }),
      makeIdentity({
        notBefore: new Date("2020-01-01T00:00:00Z"),
        notAfter: new Date("2021-01-01T00:00:00Z"),
      }),
    ]);
  });
  beforeEach(() => {
    gov = new TestGov();
    gov.addMember(member, { org: "contoso" });
    gov.addMember(expired);
    gov.addUser(user);
  });

  it("identifies a registered member with its member_data and stored PEM", () => {
    const identity = identityOf(
      memberCert.authenticate(contextFor(gov, { clientCertDer: member.der })),
    );
    assert.deepEqual(identity, {
      policy: "member_cert",
      id: member.id,
      data: { org: "contoso" },
      cert: member.certPem,
    });
  });

  it("gives data null for a member without member_data", () => {
    gov.addMember(member);
    const identity = identityOf(
      memberCert.authenticate(contextFor(gov, { clientCertDer: member.der })),
    );
    assert.equal(identity["data"], null);
  });

  it("refuses a user's certificate, no certificate, and an expired member certificate", () => {
    assert.equal(
      reasonOf(memberCert.authenticate(contextFor(gov, { clientCertDer: user.der }))),
      "Could not find matching member certificate",
    );
    assert.equal(
      reasonOf(memberCert.authenticate(contextFor(gov))),
      "No caller member certificate",
    );
    assert.match(
      reasonOf(memberCert.authenticate(contextFor(gov, { clientCertDer: expired.der }))),
      /^Current time \d+ is after certificate's Not After validity period 1609459200$/,
    );
  });
});
