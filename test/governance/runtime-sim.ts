/**
 * A simulated clean-room runtime for governance tests, with node:crypto only: an RSA key pair,
 * virtual or generated SEV-SNP evidence binding it and a governance nonce, RSA-PSS signed
 * requests, and RSA-OAEP-AES-KWP unwrapped by hand (RSA-OAEP-SHA256 of an AES-256 key, then
 * RFC 5649 key wrap) — independent of governance's own code.
 */
import assert from "node:assert/strict";
import {
  constants,
  createDecipheriv,
  createHash,
  generateKeyPairSync,
  privateDecrypt,
  sign,
  type KeyObject,
} from "node:crypto";
import {
  encodeVirtualEvidence,
  reportData,
  type Attestation,
} from "../../contracts/src/attestation.js";
import type { Reply } from "../support/client.js";
import { generateSnpEvidence } from "../support/snp-evidence.js";

export const M_SNP = "5a".repeat(48);
export const M_VIRT = "76".repeat(48);
export const HOST = "c3".repeat(32);

export const sha256 = (data: Uint8Array) =>
  new Uint8Array(createHash("sha256").update(data).digest());

export class Runtime {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;

  constructor() {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKeyPem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
  }

  reportData(nonce: string, keyPem = this.publicKeyPem): Uint8Array {
    return reportData(keyPem, nonce, sha256);
  }

  virtual(
    nonce: string,
    claims: { measurement?: string; hostData?: string | null; reportData?: Uint8Array } = {},
  ): Attestation {
    const evidence = {
      measurement: claims.measurement ?? M_VIRT,
      reportData: Buffer.from(claims.reportData ?? this.reportData(nonce)).toString("hex"),
    };
    const hostData = claims.hostData === undefined ? HOST : claims.hostData;
    return encodeVirtualEvidence(hostData === null ? evidence : { ...evidence, hostData });
  }

  async snp(
    nonce: string,
    claims: { measurement?: string; hostData?: string; reportData?: Uint8Array } = {},
    tamper = false,
  ): Promise<Attestation> {
    const e = await generateSnpEvidence({
      measurement: Buffer.from(claims.measurement ?? M_SNP, "hex"),
      hostData: Buffer.from(claims.hostData ?? HOST, "hex"),
      reportData: claims.reportData ?? this.reportData(nonce),
    });
    const report = Buffer.from(e.evidence);
    if (tamper) report[0x90] = report[0x90]! ^ 1; // a byte of the measurement, after signing
    return {
      platform: "snp",
      evidence: report.toString("base64"),
      endorsements: Buffer.from(e.endorsementsBytes).toString("base64"),
    };
  }

  /** A signed request body: `payload` as JSON text, RSA-PSS/SHA-256/salt 32 over its bytes. */
  signed(
    payload: object,
    key: KeyObject = this.privateKey,
  ): { payload: string; signature: string } {
    const text = JSON.stringify(payload);
    const signature = sign("sha256", Buffer.from(text), {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
    return { payload: text, signature: signature.toString("base64") };
  }

  /** RSA-OAEP-AES-KWP, by hand: RSA-OAEP-SHA256(AES-256 key) ‖ AES-KWP(secret). */
  unwrap(wrapped: string): Buffer {
    const bytes = Buffer.from(wrapped, "base64");
    const aesKey = privateDecrypt(
      { key: this.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      bytes.subarray(0, 256),
    );
    assert.equal(aesKey.length, 32, "an AES-256 key");
    const kwp = createDecipheriv("id-aes256-wrap-pad", aesKey, Buffer.from("A65959A6", "hex"));
    return Buffer.concat([kwp.update(bytes.subarray(256)), kwp.final()]);
  }
}

/** How `playRun` ends a run: complete with this payload, or fail with this reason. */
export type RunEnding = { complete: Record<string, unknown> } | { fail: string };

/**
 * A simulated clean room's whole part in one Requested run, over `call`: a nonce, a claim with
 * virtual evidence bound to a fresh key, one progress report, then completion or failure. Every
 * step must succeed.
 */
export async function playRun(
  call: (as: undefined, path: string, options: { method: "POST"; body: object }) => Promise<Reply>,
  contractId: string,
  runId: string,
  progress: Record<string, unknown>,
  ending: RunEnding,
): Promise<void> {
  const runtime = new Runtime();
  const post = async (path: string, body: object) => {
    const reply = await call(undefined, `/app/contracts/${contractId}/runs/${runId}${path}`, {
      method: "POST",
      body,
    });
    assert.equal(reply.status, 200, reply.text);
    return reply;
  };
  const { nonce } = (await post("/nonce", {})).json<{ nonce: string }>();
  await post("/claim", {
    attestation: runtime.virtual(nonce),
    publicKeyPem: runtime.publicKeyPem,
    nonce,
  });
  const signed = (purpose: string, extra: object) =>
    runtime.signed({ contractId, runId, purpose, ...extra });
  await post("/progress", signed("progress", { sequence: 1, ...progress }));
  if ("complete" in ending) await post("/complete", signed("complete", ending.complete));
  else await post("/fail", signed("fail", { reason: ending.fail }));
}
