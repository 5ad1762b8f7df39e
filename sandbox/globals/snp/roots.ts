/**
 * The roots of trust a CCF 6.x node uses when it verifies SEV-SNP evidence: AMD's root keys (ARK)
 * per processor product, and the UVM endorsement issuers of Azure's confidential container
 * platforms. These are public facts (public keys, DIDs), not secrets.
 *
 * Provenance (checked 2026-11 while writing this module):
 * - Both ARK keys are byte-for-byte the `amd_milan_root_signing_public_key` and
 *   `amd_genoa_root_signing_public_key` constants of microsoft/CCF
 *   (include/ccf/pal/attestation_sev_snp.h), and each has the same SubjectPublicKeyInfo as an
 *   independently published AMD root certificate (CN=ARK-Milan, valid 2020-10-22..2045-10-22;
 *   CN=ARK-Genoa, valid 2022-01-26..2047-01-26) whose self-signature verifies. SHA-256 of the
 *   DER SubjectPublicKeyInfo:
 *     Milan 9f056bee44377e29308cb5ffa895bdfb62d18881fa6bed8d6f075b0204089cb9
 *     Genoa 429a69c9422aa258ee4d8db5fcda9c6470ef15f8cd5a9cebd6cbc7d90b863831
 *   (`roots.test.ts` pins these digests.)
 * - CCF 6.x trusts only Milan and Genoa: its Turin key is present but commented out of
 *   `amd_root_signing_keys` ("Disabled until we can test this"), so no Turin key ships here.
 * - The UVM roots are CCF's `default_uvm_roots_of_trust` (src/node/uvm_endorsements.h), the same
 *   in every CCF version consulted. CCF's comments label the first "Confidential AKS" and the
 *   second "Confidential ACI"; the labels are CCF's, the values are what matters.
 */
import type { UvmRootOfTrust } from "./uvm.js";

/** AMD's Milan ARK public key (RSA 4096). */
export const AMD_MILAN_ARK_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEA0Ld52RJOdeiJlqK2JdsV
mD7FktuotWwX1fNgW41XY9Xz1HEhSUmhLz9Cu9DHRlvgJSNxbeYYsnJfvyjx1MfU
0V5tkKiU1EesNFta1kTA0szNisdYc9isqk7mXT5+KfGRbfc4V/9zRIcE8jlHN61S
1ju8X93+6dxDUrG2SzxqJ4BhqyYmUDruPXJSX4vUc01P7j98MpqOS95rORdGHeI5
2Naz5m2B+O+vjsC060d37jY9LFeuOP4Meri8qgfi2S5kKqg/aF6aPtuAZQVR7u3K
FYXP59XmJgtcog05gmI0T/OitLhuzVvpZcLph0odh/1IPXqx3+MnjD97A7fXpqGd
/y8KxX7jksTEzAOgbKAeam3lm+3yKIcTYMlsRMXPcjNbIvmsBykD//xSniusuHBk
gnlENEWx1UcbQQrs+gVDkuVPhsnzIRNgYvM48Y+7LGiJYnrmE8xcrexekBxrva2V
9TJQqnN3Q53kt5viQi3+gCfmkwC0F0tirIZbLkXPrPwzZ0M9eNxhIySb2npJfgnq
z55I0u33wh4r0ZNQeTGfw03MBUtyuzGesGkcw+loqMaq1qR4tjGbPYxCvpCq7+Og
pCCoMNit2uLo9M18fHz10lOMT8nWAUvRZFzteXCm+7PHdYPlmQwUw3LvenJ/ILXo
QPHfbkH0CyPfhl1jWhJFZasCAwEAAQ==
-----END PUBLIC KEY-----
`;

/** AMD's Genoa ARK public key (RSA 4096). */
export const AMD_GENOA_ARK_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEA3Cd95S/uFOuRIskW9vz9
VDBF69NDQF79oRhL/L2PVQGhK3YdfEBgpF/JiwWFBsT/fXDhzA01p3LkcT/7Ldjc
RfKXjHl+0Qq/M4dZkh6QDoUeKzNBLDcBKDDGWo3v35NyrxbA1DnkYwUKU5AAk4P9
4tKXLp80oxt84ahyHoLmc/LqsGsp+oq1Bz4PPsYLwTG4iMKVaaT90/oZ4I8oibSr
u92vJhlqWO27d/Rxc3iUMyhNeGToOvgx/iUo4gGpG61NDpkEUvIzuKcaMx8IdTpW
g2DF6SwF0IgVMffnvtJmA68BwJNWo1E4PLJdaPfBifcJpuBFwNVQIPQEVX3aP89H
JSp8YbY9lySS6PlVEqTBBtaQmi4ATGmMR+n2K/e+JAhU2Gj7jIpJhOkdH9firQDn
mlA2SFfJ/Cc0mGNzW9RmIhyOUnNFoclmkRhl3/AQU5Ys9Qsan1jT/EiyT+pCpmnA
+y9edvhDCbOG8F2oxHGRdTBkylungrkXJGYiwGrR8kaiqv7NN8QhOBMqYjcbrkEr
0f8QMKklIS5ruOfqlLMCBw8JLB3LkjpWgtD7OpxkzSsohN47Uom86RY6lp72g8eX
HP1qYrnvhzaG1S70vw6OkbaaC9EjiH/uHgAJQGxon7u0Q7xgoREWA/e7JcBQwLg8
0Hq/sbRuqesxz7wBWSY254cCAwEAAQ==
-----END PUBLIC KEY-----
`;

/** Microsoft's UVM signing CA, as a did:x509 prefix (SHA-256 fingerprint of the CA). */
const MICROSOFT_UVM_DID_PREFIX = "did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s";

/** CCF's `default_uvm_roots_of_trust` (svn is the minimum, an unsigned integer as text). */
export const CCF_UVM_ROOTS_OF_TRUST: readonly UvmRootOfTrust[] = [
  {
    did: `${MICROSOFT_UVM_DID_PREFIX}::eku:1.3.6.1.4.1.311.76.59.1.2`,
    feed: "ContainerPlat-AMD-UVM",
    svn: "100",
  },
  {
    did: `${MICROSOFT_UVM_DID_PREFIX}::eku:1.3.6.1.4.1.311.76.59.1.5`,
    feed: "ConfAKS-AMD-UVM",
    svn: "1",
  },
];
