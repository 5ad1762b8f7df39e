import assert from "node:assert/strict";
import { createHash, createPublicKey } from "node:crypto";
import { CCF_DEFAULT_SNP_TRUST } from "../snp.js";
import {
  AMD_GENOA_ARK_PUBLIC_KEY,
  AMD_MILAN_ARK_PUBLIC_KEY,
  CCF_UVM_ROOTS_OF_TRUST,
} from "./roots.js";

/** SHA-256 of the DER SubjectPublicKeyInfo (see roots.ts for where these were checked). */
const spkiDigest = (pem: string) =>
  createHash("sha256")
    .update(createPublicKey(pem).export({ type: "spki", format: "der" }))
    .digest("hex");

describe("SEV-SNP roots of trust", function () {
  it("pins AMD's Milan and Genoa ARK keys (RSA 4096)", function () {
    assert.equal(
      spkiDigest(AMD_MILAN_ARK_PUBLIC_KEY),
      "9f056bee44377e29308cb5ffa895bdfb62d18881fa6bed8d6f075b0204089cb9",
    );
    assert.equal(
      spkiDigest(AMD_GENOA_ARK_PUBLIC_KEY),
      "429a69c9422aa258ee4d8db5fcda9c6470ef15f8cd5a9cebd6cbc7d90b863831",
    );
    for (const pem of [AMD_MILAN_ARK_PUBLIC_KEY, AMD_GENOA_ARK_PUBLIC_KEY]) {
      const key = createPublicKey(pem);
      assert.equal(key.asymmetricKeyType, "rsa");
      assert.equal(key.asymmetricKeyDetails?.modulusLength, 4096);
    }
  });

  it("trusts what CCF 6.x trusts by default: Milan and Genoa, CCF's UVM roots", function () {
    assert.deepEqual(Object.keys(CCF_DEFAULT_SNP_TRUST.amdRootKeys).sort(), ["Genoa", "Milan"]);
    assert.equal(CCF_DEFAULT_SNP_TRUST.uvmRootsOfTrust, CCF_UVM_ROOTS_OF_TRUST);
    assert.deepEqual(
      CCF_UVM_ROOTS_OF_TRUST.map((r) => [r.did, r.feed, r.svn]),
      [
        [
          "did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::eku:1.3.6.1.4.1.311.76.59.1.2",
          "ContainerPlat-AMD-UVM",
          "100",
        ],
        [
          "did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::eku:1.3.6.1.4.1.311.76.59.1.5",
          "ConfAKS-AMD-UVM",
          "1",
        ],
      ],
    );
  });
});
