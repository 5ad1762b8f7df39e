import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { anyCert } from "./any-cert.js";
import {
  makeIdentity,
  contextFor,
  identityOf,
  reasonOf,
  TestGov,
  type TestIdentity,
} from "../../test/support/auth-fixtures.js";

describe("auth/any_cert", () => {
  let stranger: TestIdentity;
  let future: TestIdentity;
  const gov = new TestGov();

  before(async () => {
    [stranger, future] = await Promise.all([
      makeIdentity({ name: "CN=anyone" }),
      makeIdentity({
        notBefore: new Date("2099-01-01T00:00:00Z"),
        notAfter: new Date("2099-02-01T00:00:00Z"),
      }),
    ]);
  });

  it("accepts any certificate and gives only the PEM made from the session's DER", () => {
    const identity = identityOf(
      anyCert.authenticate(contextFor(gov, { clientCertDer: stranger.der })),
    );
    assert.deepEqual(Object.keys(identity), ["policy", "cert"]);
    assert.equal(identity["policy"], "any_cert");
    const pem = identity["cert"] as string;
    assert.match(
      pem,
      /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/,
    );
    assert.deepEqual(new Uint8Array(new X509Certificate(pem).raw), stranger.der);
  });

  it("refuses no certificate and a certificate outside its validity window", () => {
    assert.equal(reasonOf(anyCert.authenticate(contextFor(gov))), "No caller certificate");
    assert.match(
      reasonOf(anyCert.authenticate(contextFor(gov, { clientCertDer: future.der }))),
      /^Current time \d+ is before certificate's Not Before validity period 4070908800$/,
    );
  });
});
