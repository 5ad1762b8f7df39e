// The clean room's side of governance, as data: how a runtime proves what it is (attestation
// evidence bound to its ephemeral key and a governance nonce), how it signs every later request
// with that key, and what governance hands back (wrapped keys, the signed run statement).
// Pure and engine-neutral: governance (QuickJS), the runtime and the CLI share it. The formats are
// described for people in docs/governance.md ("Attested clean rooms").
import {
  base64Decode,
  base64Encode,
  hexEncode,
  isBase64,
  utf8Decode,
  utf8Encode,
} from "./encoding.js";

/** The outcome of checking untrusted input: the value, or why it is not acceptable. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const no = <T>(reason: string): Checked<T> => ({ ok: false, reason });

// ---------------------------------------------------------------------------------------------
// Evidence

/**
 * AMD SEV-SNP evidence, each field base64: `evidence` the 1184-byte ATTESTATION_REPORT,
 * `endorsements` the PEM chain VCEK, ASK, ARK (as UTF-8 bytes), `uvmEndorsements` the optional
 * COSE_Sign1 UVM endorsement. Governance verifies it with CCF's
 * `snp_attestation.verifySnpAttestation`.
 */
export interface SnpAttestation {
  platform: "snp";
  evidence: string;
  endorsements: string;
  uvmEndorsements?: string;
}

/**
 * Development evidence with no hardware behind it: `evidence` is base64 of the UTF-8 JSON text
 * of a `VirtualEvidence`. Nothing signs it, so anyone can make one: governance accepts it only
 * for a contract whose clean-room policy allows virtual attestation.
 */
export interface VirtualAttestation {
  platform: "virtual";
  evidence: string;
}

export type Attestation = SnpAttestation | VirtualAttestation;
export type AttestationPlatform = Attestation["platform"];

/** What a virtual clean room claims, each field lower-case hex. */
export interface VirtualEvidence {
  /** The runtime's measurement, compared with the contract's allowed measurements. */
  measurement: string;
  /** Host data (32 bytes on SEV-SNP), compared with the contract's allowed host data if any. */
  hostData?: string;
  /** 64 bytes: `reportData(publicKeyPem, nonce)`. */
  reportData: string;
}

/** Size of SEV-SNP's REPORT_DATA, and of ours. */
export const REPORT_DATA_BYTES = 64;
/** Largest evidence field accepted (base64 characters): a report, a PEM chain, a COSE blob. */
export const MAX_EVIDENCE_CHARS = 65536;

const HEX = /^[0-9a-f]*$/;

function checkHexField(value: unknown, field: string, minBytes: number, maxBytes: number) {
  if (typeof value !== "string") return `${field} must be a hex string`;
  const hex = value.toLowerCase();
  if (!HEX.test(hex) || hex.length % 2 !== 0)
    return `${field} must be an even number of hex digits`;
  if (hex.length / 2 < minBytes || hex.length / 2 > maxBytes) {
    return minBytes === maxBytes
      ? `${field} must be ${minBytes} bytes (${minBytes * 2} hex digits)`
      : `${field} must be ${minBytes} to ${maxBytes} bytes`;
  }
  return undefined;
}

function checkBase64Field(value: unknown, field: string, optional = false): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== "string" || !isBase64(value)) return `${field} must be base64 text`;
  if (value.length > MAX_EVIDENCE_CHARS) {
    return `${field} must be at most ${MAX_EVIDENCE_CHARS} characters`;
  }
  return undefined;
}

/** Checks the shape of an `attestation` object from a request (not its validity). */
export function parseAttestation(value: unknown): Checked<Attestation> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return no("attestation must be an object {platform, evidence, …}");
  }
  const a = value as Record<string, unknown>;
  if (a["platform"] === "snp") {
    const problem =
      checkBase64Field(a["evidence"], "attestation.evidence") ??
      checkBase64Field(a["endorsements"], "attestation.endorsements") ??
      checkBase64Field(a["uvmEndorsements"], "attestation.uvmEndorsements", true);
    if (problem) return no(problem);
    const snp: SnpAttestation = {
      platform: "snp",
      evidence: a["evidence"] as string,
      endorsements: a["endorsements"] as string,
    };
    if (a["uvmEndorsements"] !== undefined) snp.uvmEndorsements = a["uvmEndorsements"] as string;
    return ok(snp);
  }
  if (a["platform"] === "virtual") {
    const problem = checkBase64Field(a["evidence"], "attestation.evidence");
    if (problem) return no(problem);
    return ok({ platform: "virtual", evidence: a["evidence"] as string });
  }
  return no('attestation.platform must be "snp" or "virtual"');
}

/** Makes virtual attestation from what a development clean room claims. */
export function encodeVirtualEvidence(evidence: VirtualEvidence): VirtualAttestation {
  const claims: Record<string, string> = { measurement: evidence.measurement };
  if (evidence.hostData !== undefined) claims["hostData"] = evidence.hostData;
  claims["reportData"] = evidence.reportData;
  return { platform: "virtual", evidence: base64Encode(utf8Encode(JSON.stringify(claims))) };
}

/** The bytes the virtual evidence stands for (what its digest is taken over). */
export function virtualEvidenceBytes(attestation: VirtualAttestation): Uint8Array {
  return base64Decode(attestation.evidence);
}

/** Decodes and checks virtual evidence; hex fields come back lower-case. */
export function decodeVirtualEvidence(attestation: VirtualAttestation): Checked<VirtualEvidence> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decode(base64Decode(attestation.evidence)));
  } catch {
    return no("virtual evidence must be base64 of a UTF-8 JSON object");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return no("virtual evidence must be base64 of a UTF-8 JSON object");
  }
  const e = parsed as Record<string, unknown>;
  const problem =
    checkHexField(e["measurement"], "measurement", 1, 64) ??
    (e["hostData"] === undefined ? undefined : checkHexField(e["hostData"], "hostData", 1, 64)) ??
    checkHexField(e["reportData"], "reportData", REPORT_DATA_BYTES, REPORT_DATA_BYTES);
  if (problem) return no(`virtual evidence: ${problem}`);
  const evidence: VirtualEvidence = {
    measurement: (e["measurement"] as string).toLowerCase(),
    reportData: (e["reportData"] as string).toLowerCase(),
  };
  if (e["hostData"] !== undefined) evidence.hostData = (e["hostData"] as string).toLowerCase();
  return ok(evidence);
}

// ---------------------------------------------------------------------------------------------
// Report data: the binding of the evidence to the runtime's key and to governance's nonce

/** SHA-256 of some bytes, supplied by the caller (ccf.crypto.digest, node:crypto, …). */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/**
 * The 64 bytes a clean room puts in its evidence's report data:
 * SHA-256(UTF-8 of the PEM text of its ephemeral RSA public key) ‖ SHA-256(UTF-8 of the nonce).
 * The first half binds the key that later requests are signed with and keys are wrapped to; the
 * second makes the evidence fresh (the nonce is one-time and issued for one run).
 */
export function reportData(publicKeyPem: string, nonce: string, sha256: Sha256): Uint8Array {
  const out = new Uint8Array(REPORT_DATA_BYTES);
  out.set(sha256(utf8Encode(publicKeyPem)).subarray(0, 32), 0);
  out.set(sha256(utf8Encode(nonce)).subarray(0, 32), 32);
  return out;
}

/** The same, as lower-case hex (how governance compares it). */
export function reportDataHex(publicKeyPem: string, nonce: string, sha256: Sha256): string {
  return hexEncode(reportData(publicKeyPem, nonce, sha256));
}

// ---------------------------------------------------------------------------------------------
// Requests from the clean room

/** `POST /app/contracts/{contractId}/runs/{runId}/nonce` answers this (anonymous). */
export interface NonceResponse {
  runId: string;
  nonce: string;
  /** ISO 8601: after this the nonce no longer claims the run; ask again. */
  expiresAt: string;
}

/** `POST …/runs/{runId}/claim` takes this. */
export interface ClaimRequest {
  attestation: Attestation;
  /** The runtime's ephemeral RSA public key (SPKI PEM, ≥ 2048 bits), bound by the report data. */
  publicKeyPem: string;
  /** The nonce governance issued for this run. */
  nonce: string;
}

/** Checks the shape of a claim body. */
export function parseClaimRequest(body: unknown): Checked<ClaimRequest> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return no("the body must be a JSON object {attestation, publicKeyPem, nonce}");
  }
  const b = body as Record<string, unknown>;
  const attestation = parseAttestation(b["attestation"]);
  if (!attestation.ok) return attestation;
  const pem = b["publicKeyPem"];
  if (typeof pem !== "string" || !pem.includes("-----BEGIN PUBLIC KEY-----") || pem.length > 4096) {
    return no("publicKeyPem must be an RSA public key in SPKI PEM form (BEGIN PUBLIC KEY)");
  }
  const nonce = b["nonce"];
  if (typeof nonce !== "string" || nonce.length === 0 || nonce.length > 256) {
    return no("nonce must be the nonce governance issued for this run");
  }
  return ok({ attestation: attestation.value, publicKeyPem: pem, nonce });
}

/**
 * How the runtime signs every request after its claim: RSA-PSS, SHA-256, MGF1-SHA-256, salt 32
 * bytes, with the private half of the key it claimed the run with. (The object is the one
 * `ccf.crypto.verifySignature` takes.)
 */
export const RUNTIME_SIGNATURE = { name: "RSA-PSS", hash: "SHA-256", saltLength: 32 } as const;

/** How governance wraps what it releases to the run's key (`ccf.crypto.wrapKey` parameters). */
export const RELEASE_WRAPPING = { name: "RSA-OAEP-AES-KWP", aesKeySize: 256 } as const;

/** A request signed by the run's bound key: the body of every runtime call after the claim. */
export interface SignedRuntimeRequest {
  /** The JSON text of a `RuntimePayload`, exactly as signed. */
  payload: string;
  /** base64 of the RSA-PSS signature over the UTF-8 bytes of `payload`. */
  signature: string;
}

/** What a runtime request is for; each endpoint accepts one purpose. */
export type RuntimePurpose = "key" | "secret" | "progress" | "complete" | "fail" | "token";

/**
 * The signed part of every runtime request. It names the contract, the run and the purpose, so a
 * signature made for one request of one run cannot serve another: governance compares all three
 * (and the dataset or secret) with the URL it arrived on.
 */
export interface RuntimePayload {
  contractId: string;
  runId: string;
  purpose: RuntimePurpose;
  [field: string]: unknown;
}

export const MAX_PAYLOAD_CHARS = 65536;

const PURPOSES: readonly RuntimePurpose[] = [
  "key",
  "secret",
  "progress",
  "complete",
  "fail",
  "token",
];

/** Checks the shape of a signed runtime request and parses its payload (not the signature). */
export function parseSignedRequest(
  body: unknown,
): Checked<{ request: SignedRuntimeRequest; payload: RuntimePayload }> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return no("the body must be a JSON object {payload, signature}");
  }
  const b = body as Record<string, unknown>;
  const text = b["payload"];
  const signature = b["signature"];
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_PAYLOAD_CHARS) {
    return no(`payload must be JSON text of at most ${MAX_PAYLOAD_CHARS} characters`);
  }
  if (typeof signature !== "string" || !isBase64(signature) || signature.length > 2048) {
    return no("signature must be base64 of an RSA-PSS signature");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return no("payload must be JSON text of an object");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return no("payload must be JSON text of an object");
  }
  const p = parsed as Record<string, unknown>;
  if (typeof p["contractId"] !== "string" || typeof p["runId"] !== "string") {
    return no("payload must name contractId and runId");
  }
  if (!PURPOSES.includes(p["purpose"] as RuntimePurpose)) {
    return no(`payload.purpose must be one of ${PURPOSES.join(", ")}`);
  }
  return ok({ request: { payload: text, signature }, payload: p as RuntimePayload });
}

/** The payload of `POST …/runs/{runId}/keys/{datasetId}`. */
export interface KeyRequestPayload extends RuntimePayload {
  purpose: "key";
  datasetId: string;
}

/** The payload of `POST …/runs/{runId}/secrets/{secretId}`. */
export interface SecretRequestPayload extends RuntimePayload {
  purpose: "secret";
  secretId: string;
}

/** Counts and timings a runtime reports; names are free (`input:<datasetId>`, `output`, …). */
export type Counters = Record<string, number>;

/** The payload of `POST …/runs/{runId}/progress`. */
export interface ProgressPayload extends RuntimePayload {
  purpose: "progress";
  /** Strictly increasing per run: a replayed report is refused. */
  sequence: number;
  phase?: string;
  rowCounts?: Counters;
  durationsMs?: Counters;
}

/** A digest of one object the run wrote. */
export interface OutputDigest {
  /** The output dataset written. */
  datasetId: string;
  /** The object (file, blob, key) within the dataset's location. */
  object: string;
  /** Lower-case hex SHA-256 of the object's bytes as stored (ciphertext). */
  sha256: string;
}

/** The payload of `POST …/runs/{runId}/complete`. */
export interface CompletePayload extends RuntimePayload {
  purpose: "complete";
  rowCounts: Counters;
  durationsMs: Counters;
  outputDigests: OutputDigest[];
}

/** The payload of `POST …/runs/{runId}/fail`. */
export interface FailPayload extends RuntimePayload {
  purpose: "fail";
  reason: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9:._/-]{0,127}$/;

/** Checks a counters map: at most 64 names, non-negative finite numbers. */
export function checkCounters(value: unknown, field: string): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return `${field} must be an object of name → number`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 64) return `${field} has more than 64 entries`;
  for (const [name, count] of entries) {
    if (!NAME.test(name)) return `${field} has an invalid name '${name.slice(0, 40)}'`;
    if (typeof count !== "number" || !Number.isFinite(count) || count < 0) {
      return `${field}.${name} must be a non-negative number`;
    }
  }
  return undefined;
}

/** Checks output digests: at most 1,000, each naming a dataset, an object and a SHA-256. */
export function checkOutputDigests(value: unknown): string | undefined {
  if (!Array.isArray(value)) return "outputDigests must be an array";
  if (value.length > 1000) return "outputDigests has more than 1000 entries";
  for (const [i, d] of value.entries()) {
    if (d === null || typeof d !== "object" || Array.isArray(d)) {
      return `outputDigests[${i}] must be {datasetId, object, sha256}`;
    }
    const digest = d as Record<string, unknown>;
    if (typeof digest["datasetId"] !== "string" || digest["datasetId"].length === 0) {
      return `outputDigests[${i}].datasetId must be a dataset id`;
    }
    if (
      typeof digest["object"] !== "string" ||
      digest["object"].length === 0 ||
      digest["object"].length > 1024
    ) {
      return `outputDigests[${i}].object must be a name of 1 to 1024 characters`;
    }
    if (typeof digest["sha256"] !== "string" || !/^[0-9a-f]{64}$/.test(digest["sha256"])) {
      return `outputDigests[${i}].sha256 must be 64 lower-case hex digits`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// What governance answers

/** A dataset key released to a run: the DEK wrapped to the run's bound key. */
export interface WrappedKeyResponse {
  datasetId: string;
  /** base64 of RSA-OAEP-AES-KWP(DEK): RSA-OAEP-SHA256(AES-256 key) ‖ AES-KWP(DEK). */
  wrappedKey: string;
  algorithm: "RSA-OAEP-AES-KWP";
}

/** An access grant released to a run: its value (UTF-8) wrapped to the run's bound key. */
export interface WrappedSecretResponse {
  secretId: string;
  kind: string;
  expiresAt?: string;
  /** base64 of RSA-OAEP-AES-KWP(UTF-8 value). */
  wrappedValue: string;
  algorithm: "RSA-OAEP-AES-KWP";
}

/** One input of a run as its statement records it. */
export interface StatementInput {
  datasetId: string;
  view: string;
  /** The dataset record's version when the run completed. */
  datasetVersion?: string;
}

/**
 * What governance signs when a run completes: the outputs bound to the run, the query version,
 * the inputs and the attestation that obtained the keys.
 */
export interface RunStatement {
  contractId: string;
  runId: string;
  queryId: string;
  queryVersion: string;
  inputs: StatementInput[];
  outputDigests: OutputDigest[];
  platform: AttestationPlatform;
  measurement: string;
  hostData?: string;
  /** Lower-case hex SHA-256 of the evidence bytes (the SNP report, or the virtual JSON). */
  attestationDigest: string;
  /** ISO 8601 (governance's untrusted host clock). */
  completedAt: string;
}

/**
 * The exact text governance signs: JSON with the fields in `RunStatement`'s order. Verifiers
 * check the signature over the UTF-8 bytes of the `statement` text they receive, then parse it.
 */
export function runStatementText(s: RunStatement): string {
  const ordered: RunStatement = {
    contractId: s.contractId,
    runId: s.runId,
    queryId: s.queryId,
    queryVersion: s.queryVersion,
    inputs: s.inputs.map((i) => {
      const input: StatementInput = { datasetId: i.datasetId, view: i.view };
      if (i.datasetVersion !== undefined) input.datasetVersion = i.datasetVersion;
      return input;
    }),
    outputDigests: s.outputDigests.map((d) => ({
      datasetId: d.datasetId,
      object: d.object,
      sha256: d.sha256,
    })),
    platform: s.platform,
    measurement: s.measurement,
    attestationDigest: s.attestationDigest,
    completedAt: s.completedAt,
  };
  if (s.hostData !== undefined) {
    // Kept next to the measurement for readers; order is part of the signed text.
    const { attestationDigest, completedAt, ...head } = ordered;
    return JSON.stringify({ ...head, hostData: s.hostData, attestationDigest, completedAt });
  }
  return JSON.stringify(ordered);
}

/** `GET …/runs/{runId}/statement` answers this. */
export interface SignedRunStatement {
  /** The signed JSON text of a `RunStatement`. */
  statement: string;
  /** base64 ECDSA P-384 / SHA-384 signature (IEEE P1363 r‖s, 96 bytes) over `statement`. */
  signature: string;
  /** Governance's statement key (SPKI PEM), also served at `GET /app/keys/statement`. */
  publicKeyPem: string;
  /** The transaction that recorded the statement: its receipt proves it. */
  transactionId: string;
}
