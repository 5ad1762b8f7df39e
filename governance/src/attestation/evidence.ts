// Verifying a clean room's evidence: SEV-SNP through CCF's verifier (the report's signature, the
// VCEK → ASK → ARK chain to AMD's root, the TCB, and UVM endorsements when given), virtual
// evidence by decoding it (it has no signature: platformVerdict decides whether to accept it).
// What comes out is the claims the policy is checked against.
import { snp_attestation } from "@microsoft/ccf-app/global.js";
import {
  decodeVirtualEvidence,
  virtualEvidenceBytes,
  type Attestation,
  type SnpAttestation,
} from "../../../contracts/src/attestation.js";
import { base64Decode, hexEncode } from "../../../contracts/src/encoding.js";
import { ApiError } from "../lib/errors.js";
import type { EvidenceClaims } from "../policy/attestation.js";
import { sha256, toBuffer } from "./bytes.js";

export interface VerifiedEvidence extends EvidenceClaims {
  /** Lower-case hex SHA-256 of the evidence bytes (the SNP report, or the virtual JSON). */
  attestationDigest: string;
}

function invalid(message: string): ApiError {
  return new ApiError(403, "AttestationInvalid", message);
}

const hexOf = (buffer: ArrayBuffer) => hexEncode(new Uint8Array(buffer));

function verifySnp(attestation: SnpAttestation): VerifiedEvidence {
  const report = base64Decode(attestation.evidence);
  const endorsements = base64Decode(attestation.endorsements);
  const uvm =
    attestation.uvmEndorsements === undefined
      ? undefined
      : toBuffer(base64Decode(attestation.uvmEndorsements));
  let result: ReturnType<typeof snp_attestation.verifySnpAttestation>;
  try {
    result =
      uvm === undefined
        ? snp_attestation.verifySnpAttestation(toBuffer(report), toBuffer(endorsements))
        : snp_attestation.verifySnpAttestation(toBuffer(report), toBuffer(endorsements), uvm);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(`The SEV-SNP evidence does not verify: ${reason}`);
  }
  const claims = result.attestation;
  return {
    platform: "snp",
    measurement: hexOf(claims.measurement),
    hostData: hexOf(claims.host_data),
    reportData: hexOf(claims.report_data),
    debuggable: claims.policy.debug === 1,
    attestationDigest: hexEncode(sha256(report)),
  };
}

function verifyVirtual(
  attestation: Extract<Attestation, { platform: "virtual" }>,
): VerifiedEvidence {
  const decoded = decodeVirtualEvidence(attestation);
  if (!decoded.ok) throw invalid(`The virtual evidence is malformed: ${decoded.reason}`);
  const claims: VerifiedEvidence = {
    platform: "virtual",
    measurement: decoded.value.measurement,
    reportData: decoded.value.reportData,
    debuggable: false,
    attestationDigest: hexEncode(sha256(virtualEvidenceBytes(attestation))),
  };
  if (decoded.value.hostData !== undefined) claims.hostData = decoded.value.hostData;
  return claims;
}

/**
 * The claims of evidence that verifies, or 403 `AttestationInvalid` saying why it does not.
 * Virtual evidence "verifies" by decoding: call it only where virtual attestation is allowed.
 */
export function verifyEvidence(attestation: Attestation): VerifiedEvidence {
  return attestation.platform === "snp" ? verifySnp(attestation) : verifyVirtual(attestation);
}
