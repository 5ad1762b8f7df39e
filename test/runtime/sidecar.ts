/**
 * A stand-in for the SEV-SNP attestation sidecar: `POST /snp/report {reportData}` answers with
 * generated, correctly signed SNP evidence carrying that report data (test/support/snp-evidence).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { generateSnpEvidence } from "../support/snp-evidence.js";

export interface Sidecar {
  url: string;
  /** Answer with `{}` (no evidence) instead, to test refusals. */
  broken: boolean;
  close(): Promise<void>;
}

export async function startSnpSidecar(claims: {
  measurement: string;
  hostData?: string;
}): Promise<Sidecar> {
  const answer = async (text: string): Promise<object> => {
    if (sidecar.broken) return {};
    const { reportData } = JSON.parse(text) as { reportData: string };
    const e = await generateSnpEvidence({
      measurement: Buffer.from(claims.measurement, "hex"),
      reportData: Buffer.from(reportData, "hex"),
      ...(claims.hostData ? { hostData: Buffer.from(claims.hostData, "hex") } : {}),
    });
    return {
      evidence: Buffer.from(e.evidence).toString("base64"),
      endorsements: Buffer.from(e.endorsementsBytes).toString("base64"),
    };
  };
  const server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString()));
    request.on("end", () => {
      void answer(text).then((body) =>
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const sidecar: Sidecar = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    broken: false,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return sidecar;
}
