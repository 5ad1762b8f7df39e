import assert from "node:assert/strict";
import { Tables } from "../enclave/tables.js";
import {
  makeIdentity,
  contextFor,
  identityOf,
  reasonOf,
  TestGov,
  type TestIdentity,
} from "../../test/support/auth-fixtures.js";
import { userCert } from "./user-cert.js";

const DAY_MS = 24 * 60 * 60 * 1000;

describe("auth/user_cert", () => {
  let alice: TestIdentity;
  let stranger: TestIdentity;
  let member: TestIdentity;
  let expiring: TestIdentity;
  const notBefore = new Date("2030-01-01T00:00:00Z");
  const notAfter = new Date("2030-01-31T00:00:00Z");
  let gov: TestGov;

  before(async () => {
    [alice, stranger, member, expiring] = await Promise.all([
      makeIdentity({ name: "CN=alice" }),
      makeIdentity({ name: "CN=stranger" }),
      makeIdentity({ name: "CN=member" }),
      makeIdentity({ name: "CN=window", notBefore, notAfter }),
    ]);
  });
  beforeEach(() => {
    gov = new TestGov();
    gov.addUser(alice, { role: "analyst", tags: ["a"] });
    gov.addMember(member);
  });

  it("identifies a registered user: id = SHA-256 of the DER, data, stored PEM", () => {
    const identity = identityOf(
      userCert.authenticate(contextFor(gov, { clientCertDer: alice.der })),
    );
    assert.deepEqual(identity, {
      policy: "user_cert",
      id: alice.id,
      data: { role: "analyst", tags: ["a"] },
      cert: alice.certPem,
    });
    assert.match(alice.id, /^[0-9a-f]{64}$/);
  });

  it("gives data null without user_data, and reads old or broken info records defensively", () => {
    const cases: [string | undefined, unknown][] = [
      [undefined, null],
      ["{}", null],
      ['{"user_data":null}', null],
      ['{"user_data":"x"}', "x"],
      ['"raw user data"', null],
      ["[1,2]", null],
      ["not json", null],
    ];
    for (const [info, data] of cases) {
      gov.put(Tables.usersInfo, alice.id, info);
      const identity = identityOf(
        userCert.authenticate(contextFor(gov, { clientCertDer: alice.der })),
      );
      assert.deepEqual(identity["data"], data, String(info));
    }
  });

  it("refuses an unknown certificate, a member's certificate, and no certificate", () => {
    for (const who of [stranger, member]) {
      assert.equal(
        reasonOf(userCert.authenticate(contextFor(gov, { clientCertDer: who.der }))),
        "Could not find matching user certificate",
      );
    }
    assert.equal(reasonOf(userCert.authenticate(contextFor(gov))), "No caller user certificate");
    assert.equal(
      reasonOf(userCert.authenticate(contextFor(gov, { clientCertDer: new Uint8Array(0) }))),
      "No caller user certificate",
    );
  });

  it("checks the validity window at the given time, to the second, every time", () => {
    gov.addUser(expiring);
    const at = (ms: number) =>
      userCert.authenticate(contextFor(gov, { clientCertDer: expiring.der }, ms));
    const from = notBefore.getTime() / 1000;
    const to = notAfter.getTime() / 1000;
    assert.equal(
      reasonOf(at(notBefore.getTime() - 1000)),
      `Current time ${from - 1} is before certificate's Not Before validity period ${from}`,
    );
    assert.equal(identityOf(at(notBefore.getTime()))["id"], expiring.id);
    assert.equal(identityOf(at(notAfter.getTime() + 999))["id"], expiring.id);
    assert.equal(
      reasonOf(at(notAfter.getTime() + 1000)),
      `Current time ${to + 1} is after certificate's Not After validity period ${to}`,
    );
    // The parsed certificate is cached; the verdict still follows the clock.
    assert.equal(identityOf(at(notBefore.getTime() + DAY_MS))["id"], expiring.id);
  });

  it("follows governance: a removed user is refused at once", () => {
    const context = contextFor(gov, { clientCertDer: alice.der });
    assert.equal(userCert.authenticate(context).ok, true);
    gov.put(Tables.usersCerts, alice.id, undefined);
    assert.equal(
      reasonOf(userCert.authenticate(context)),
      "Could not find matching user certificate",
    );
  });
});
