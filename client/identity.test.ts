import assert from "node:assert/strict";
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { generateIdentity, keyMatchesCertificate } from "./identity.js";

describe("client identity", function () {
  it("makes an EC P-384 key and a self-signed certificate for it, with CCF's id", async function () {
    const identity = await generateIdentity({ commonName: "northwind" });
    const key = createPrivateKey(identity.privateKeyPem);
    assert.equal(key.asymmetricKeyType, "ec");
    assert.equal(key.asymmetricKeyDetails?.namedCurve, "secp384r1");
    const cert = new X509Certificate(identity.certPem);
    assert.equal(cert.subject, "CN=northwind");
    assert.ok(cert.checkPrivateKey(key));
    assert.ok(cert.verify(cert.publicKey), "self-signed");
    assert.ok(new Date(cert.validFrom).getTime() < Date.now());
    assert.equal(identity.id, createHash("sha256").update(cert.raw).digest("hex"));
    assert.ok(keyMatchesCertificate(identity.certPem, identity.privateKeyPem));
  });

  it("never makes the same key twice, and tells keys apart", async function () {
    const [a, b] = await Promise.all([
      generateIdentity({ commonName: "a" }),
      generateIdentity({ commonName: "a" }),
    ]);
    assert.notEqual(a.privateKeyPem, b.privateKeyPem);
    assert.notEqual(a.id, b.id);
    assert.equal(keyMatchesCertificate(a.certPem, b.privateKeyPem), false);
    assert.equal(keyMatchesCertificate("junk", a.privateKeyPem), false);
  });
});
