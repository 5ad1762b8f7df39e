import assert from "node:assert/strict";
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import {
  OID_NAME,
  makeCertificate,
  type CertificateSpec,
} from "../../../test/support/snp-evidence.js";
import { KeyUsageFlags } from "./certificate.js";
import { DidX509Error, resolveDidX509Key } from "./didx509.js";

const ec = () => generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey;
const EKU = "1.3.6.1.4.1.311.76.59.1.2";
const fingerprint = (der: Uint8Array, alg = "sha256") =>
  createHash(alg).update(der).digest("base64url");

function refuses(chain: Uint8Array[], did: string, message: string | RegExp): void {
  assert.throws(
    () => resolveDidX509Key(chain, did),
    (error: unknown) => {
      assert.ok(error instanceof DidX509Error, String(error));
      if (typeof message === "string") assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    },
  );
}

const spkiOf = (key: KeyObject) =>
  (key.type === "public" ? key : createPublicKey(key)).export({ type: "spki", format: "der" });
const sameKey = (a: KeyObject, b: KeyObject) => spkiOf(a).equals(spkiOf(b));

describe("did:x509 resolution (didx509cpp semantics)", function () {
  const rootKey = ec();
  const intermediateKey = ec();
  const leafKey = ec();
  const rootName = [[OID_NAME.CN, "Test root"]] as const;
  const intermediateName = [[OID_NAME.CN, "Test intermediate"]] as const;
  const leafSpec: CertificateSpec = {
    subject: [
      [OID_NAME.C, "US"],
      [OID_NAME.ST, "Washington"],
      [OID_NAME.O, "Example Corp"],
      [OID_NAME.CN, "UVM Signer: prod"],
    ],
    issuer: intermediateName,
    key: leafKey,
    signer: intermediateKey,
    keyUsage: KeyUsageFlags.digitalSignature,
    extendedKeyUsage: [EKU, "1.3.6.1.5.5.7.3.3"],
    subjectAltNames: [
      { type: "dns", value: "uvm.example.com" },
      { type: "email", value: "signer@example.com" },
      { type: "url", value: "https://example.com/uvm" },
    ],
  };
  let root: Uint8Array;
  let intermediate: Uint8Array;
  let leaf: Uint8Array;
  let chain: Uint8Array[];
  let base: string;

  before(async function () {
    root = await makeCertificate({
      subject: rootName,
      issuer: rootName,
      key: rootKey,
      signer: rootKey,
      ca: true,
    });
    intermediate = await makeCertificate({
      subject: intermediateName,
      issuer: rootName,
      key: intermediateKey,
      signer: rootKey,
      ca: true,
    });
    leaf = await makeCertificate(leafSpec);
    chain = [leaf, intermediate, root];
    base = `did:x509:0:sha256:${fingerprint(root)}`;
  });

  it("resolves to the leaf's key when the fingerprint and every policy match", function () {
    const key = resolveDidX509Key(chain, `${base}::eku:${EKU}`);
    assert.ok(sameKey(key, leafKey));
    const all = [
      `eku:${EKU}`,
      "subject:C:US:ST:Washington:O:Example%20Corp",
      "subject:CN:UVM%20Signer%3A%20prod",
      "subject:S:Washington", // S is taken for ST
      "san:dns:uvm.example.com",
      "san:email:signer%40example.com",
      "san:uri:https%3A%2F%2Fexample.com%2Fuvm",
    ];
    for (const policy of all) assert.ok(resolveDidX509Key(chain, `${base}::${policy}`));
    assert.ok(resolveDidX509Key(chain, `${base}::${all.join("::")}`));
  });

  it("pins any CA in the chain, with SHA-256, SHA-384 or SHA-512", function () {
    const viaIntermediate = `did:x509:0:sha384:${fingerprint(intermediate, "sha384")}::eku:${EKU}`;
    assert.ok(resolveDidX509Key(chain, viaIntermediate));
    assert.ok(
      resolveDidX509Key(chain, `did:x509:0:sha512:${fingerprint(root, "sha512")}::eku:${EKU}`),
    );
    // Never the leaf.
    refuses(
      chain,
      `did:x509:0:sha256:${fingerprint(leaf)}::eku:${EKU}`,
      "invalid certificate fingerprint",
    );
    refuses(
      chain,
      `did:x509:0:md5:${fingerprint(root)}::eku:${EKU}`,
      "unsupported fingerprint algorithm",
    );
  });

  it("refuses malformed DIDs", function () {
    refuses(chain, base, "invalid DID string");
    refuses(chain, `did:web:${fingerprint(root)}::eku:${EKU}`, "unsupported method/prefix");
    refuses(chain, `did:x509:0:sha256::eku:${EKU}`, "unsupported method/prefix");
    refuses(
      chain,
      `did:x509:1:sha256:${fingerprint(root)}::eku:${EKU}`,
      "unsupported did:x509 version",
    );
    refuses(chain, `${base}::eku`, "invalid policy");
    refuses(chain, `${base}::unknown:x`, "unsupported did:x509 scheme 'unknown'");
  });

  it("refuses policies the leaf does not meet", function () {
    refuses(chain, `${base}::eku:1.2.3.4`, "EKU not found: 1.2.3.4");
    refuses(chain, `${base}::eku:${EKU}:extra`, "exactly one EKU required");
    refuses(chain, `${base}::subject:CN`, "key-value pairs required");
    refuses(chain, `${base}::subject:CN:Other`, "invalid subject key/value: CN=Other");
    refuses(chain, `${base}::subject:L:Redmond`, "unsupported subject key: 'L'");
    refuses(chain, `${base}::subject:2.5.4.3:x`, "unsupported subject key: '2.5.4.3'");
    refuses(chain, `${base}::subject:ST:Washington:S:Washington`, "duplicate field 'ST'");
    refuses(chain, `${base}::san:dns:other.example.com`, "SAN not found: other.example.com");
    refuses(chain, `${base}::san:ip:10.0.0.1`, "unknown SAN type: ip");
    refuses(chain, `${base}::san:dns`, "exactly one SAN type and value required");
    refuses(
      chain,
      `${base}::fulcio-issuer:example.com`,
      "invalid fulcio-issuer: https://example.com",
    );
  });

  it("refuses chains that are not valid paths, ignoring validity periods", async function () {
    refuses([], `${base}::eku:${EKU}`, "no certificate chain");
    refuses([root], `${base}::eku:${EKU}`, "certificate chain too short");
    refuses(
      [leaf, root],
      `${base}::eku:${EKU}`,
      /^certificate chain verification failed: unable to get local issuer certificate \(depth: 0\)$/,
    );
    // Names and key identifiers point at the intermediate; the signature is another key's.
    const forged = await makeCertificate({ ...leafSpec, signer: ec(), issuerKey: intermediateKey });
    refuses(
      [forged, intermediate, root],
      `${base}::eku:${EKU}`,
      "certificate chain verification failed: certificate signature failure (depth: 0)",
    );
    const expired = await makeCertificate({
      ...leafSpec,
      notBefore: new Date("2001-01-01T00:00:00Z"),
      notAfter: new Date("2002-01-01T00:00:00Z"),
    });
    assert.ok(resolveDidX509Key([expired, intermediate, root], `${base}::eku:${EKU}`));
    refuses([new Uint8Array([1, 2, 3]), root], `${base}::eku:${EKU}`, /^OpenSSL error: /);
  });

  it("checks CAs strictly, as X509_V_FLAG_X509_STRICT does", async function () {
    const notCa = await makeCertificate({
      subject: intermediateName,
      issuer: rootName,
      key: intermediateKey,
      signer: rootKey,
    });
    refuses(
      [leaf, notCa, root],
      `${base}::eku:${EKU}`,
      "certificate chain verification failed: invalid CA certificate (depth: 1)",
    );
    const weakKey = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
    const weakLeaf = await makeCertificate({ ...leafSpec, key: weakKey });
    refuses(
      [weakLeaf, intermediate, root],
      `${base}::eku:${EKU}`,
      "certificate chain verification failed: EE certificate key too weak (depth: 0)",
    );
  });

  it("requires a leaf key usage that allows signing or key agreement", async function () {
    const encipherOnly = await makeCertificate({
      ...leafSpec,
      keyUsage: KeyUsageFlags.keyEncipherment,
    });
    refuses(
      [encipherOnly, intermediate, root],
      `${base}::eku:${EKU}`,
      "certificate key usage must include digital signature or key agreement",
    );
    const agreement = await makeCertificate({ ...leafSpec, keyUsage: KeyUsageFlags.keyAgreement });
    assert.ok(resolveDidX509Key([agreement, intermediate, root], `${base}::eku:${EKU}`));
  });
});
