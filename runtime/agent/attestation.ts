// Evidence that binds a run's key and governance's nonce (the 64 bytes of `reportData`):
// - `virtual`: no hardware; the runtime states its own measurement (only contracts whose policy
//   allows virtual attestation accept it);
// - `snp`: an AMD SEV-SNP report from an attestation sidecar that can reach the PSP (the runtime
//   in a confidential container has no /dev/sev-guest of its own): `POST <sidecar>/snp/report`
//   with `{"reportData": "<128 hex digits>"}` answers `{evidence, endorsements,
//   uvmEndorsements?}`, each base64 (docs/runtime.md, "Attestation").
import {
  encodeVirtualEvidence,
  reportData,
  type Attestation,
  type SnpAttestation,
} from "../../contracts/src/attestation.js";
import { sha256 } from "./runkey.js";

export type Platform = "virtual" | "snp";

/** Makes evidence whose report data is `data` (64 bytes). */
export type EvidenceProvider = (data: Uint8Array) => Promise<Attestation>;

/** Raised when evidence cannot be produced (the sidecar is down or answers nonsense). */
export class AttestationError extends Error {
  override readonly name = "AttestationError";
  readonly code = "AttestationUnavailable";
}

export function virtualEvidence(measurement: string, hostData?: string): EvidenceProvider {
  return async (data) => {
    const claims = { measurement, reportData: Buffer.from(data).toString("hex") };
    return encodeVirtualEvidence(hostData === undefined ? claims : { ...claims, hostData });
  };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function snpEvidence(sidecarUrl: string, timeoutMs = 30_000): EvidenceProvider {
  const url = new URL("snp/report", sidecarUrl.endsWith("/") ? sidecarUrl : `${sidecarUrl}/`);
  return async (data) => {
    let body: Record<string, unknown>;
    try {
      const reply = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reportData: Buffer.from(data).toString("hex") }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!reply.ok) throw new AttestationError(`the sidecar answered ${reply.status}`);
      body = (await reply.json()) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof AttestationError) throw error;
      throw new AttestationError(`cannot reach the SEV-SNP sidecar at ${url.origin}`);
    }
    const field = (name: string): string | undefined => {
      const value = body[name];
      return typeof value === "string" && BASE64.test(value) ? value : undefined;
    };
    const evidence = field("evidence");
    const endorsements = field("endorsements");
    if (evidence === undefined || endorsements === undefined) {
      throw new AttestationError("the sidecar's answer lacks base64 evidence and endorsements");
    }
    const attestation: SnpAttestation = { platform: "snp", evidence, endorsements };
    const uvm = field("uvmEndorsements");
    if (uvm !== undefined) attestation.uvmEndorsements = uvm;
    return attestation;
  };
}

/** Evidence for a claim: the run key's PEM and the nonce, bound by their report data. */
export function evidenceFor(
  provider: EvidenceProvider,
  publicKeyPem: string,
  nonce: string,
): Promise<Attestation> {
  return provider(reportData(publicKeyPem, nonce, sha256));
}
