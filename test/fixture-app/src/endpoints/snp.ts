// Verifies SEV-SNP evidence sent by the client, as an attestation-checking app would.
import { snp_attestation } from "@microsoft/ccf-app/global.js";
import type { Request, Response } from "@microsoft/ccf-app";
import { attempt, fromHex, toHex } from "../util.js";

interface Evidence {
  evidence: string;
  endorsements: string;
  uvm?: string;
  endorsedTcb?: string;
}

export function verify(request: Request): Response {
  const input = request.body.json() as Evidence;
  const result = attempt(() =>
    snp_attestation.verifySnpAttestation(
      fromHex(input.evidence),
      fromHex(input.endorsements),
      input.uvm === undefined ? undefined : fromHex(input.uvm),
      input.endorsedTcb,
    ),
  );
  if ("error" in result) return { statusCode: 400, body: result };
  const { attestation, uvm_endorsements } = result.ok as ReturnType<
    typeof snp_attestation.verifySnpAttestation
  >;
  return {
    body: {
      measurement: toHex(attestation.measurement),
      reportData: toHex(attestation.report_data),
      hostData: toHex(attestation.host_data),
      reportedTcb: attestation.reported_tcb,
      uvm: uvm_endorsements ?? null,
    },
  };
}
