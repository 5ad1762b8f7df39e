// Who is an attested clean room for a run: the rules, as pure functions over what the evidence
// claims, the contract's clean-room policy, the nonce governance issued and the signed payload.
// The host side (verifying SNP evidence, reading tables) is in governance/src/attestation/.
import type { AttestationPlatform, RuntimePayload } from "../../../contracts/src/attestation.js";
import type { CleanRoomPolicy } from "../../../contracts/src/contract.js";

/** A decision: go on, or refuse with a status, a stable code and a reason a person can act on. */
export type Verdict = { ok: true } | { ok: false; status: number; code: string; reason: string };

export const PASS: Verdict = { ok: true };

function refuse(status: number, code: string, reason: string): Verdict {
  return { ok: false, status, code, reason };
}

/** What verified evidence says about the clean room (hex fields lower-case). */
export interface EvidenceClaims {
  platform: AttestationPlatform;
  measurement: string;
  hostData?: string;
  /** 64 bytes, hex. */
  reportData: string;
  /** SEV-SNP guest policy DEBUG bit: the host could read the guest's memory. */
  debuggable: boolean;
}

/** Virtual evidence is unsigned: only a contract that allows it accepts it. */
export function platformVerdict(platform: AttestationPlatform, policy: CleanRoomPolicy): Verdict {
  if (platform === "virtual" && !policy.allowVirtual) {
    return refuse(
      403,
      "VirtualAttestationNotAllowed",
      "This contract does not accept virtual (insecure) attestation: run the clean room on SEV-SNP, " +
        "or have the members allow virtual attestation in the contract's clean-room policy.",
    );
  }
  return PASS;
}

/**
 * A clean room (what its evidence showed) against the contract's policy as it stands: platform
 * allowed, measurement allowed, host data allowed when the policy lists host data. Checked at the
 * claim and again at every release, so a policy change takes effect at the next key request.
 */
export function policyVerdict(
  claims: Pick<EvidenceClaims, "platform" | "measurement" | "hostData">,
  policy: CleanRoomPolicy,
): Verdict {
  const platform = platformVerdict(claims.platform, policy);
  if (!platform.ok) return platform;
  if (!policy.measurements.includes(claims.measurement)) {
    return refuse(
      403,
      "MeasurementNotAllowed",
      `Measurement ${claims.measurement} is not among the contract's allowed measurements.`,
    );
  }
  if (policy.hostData !== undefined) {
    if (claims.hostData === undefined || !policy.hostData.includes(claims.hostData)) {
      return refuse(
        403,
        "HostDataNotAllowed",
        `Host data ${claims.hostData ?? "(none)"} is not among the contract's allowed host data.`,
      );
    }
  }
  return PASS;
}

/**
 * Verified evidence against the contract's policy and the expected report data: not
 * debuggable, `policyVerdict`, and report data = SHA-256(presented key) ‖ SHA-256(nonce).
 */
export function claimsVerdict(
  claims: EvidenceClaims,
  policy: CleanRoomPolicy,
  expectedReportData: string,
): Verdict {
  if (claims.debuggable) {
    return refuse(
      403,
      "DebuggableGuest",
      "The attested guest allows debugging (SEV-SNP policy DEBUG), so its memory is not private.",
    );
  }
  const allowed = policyVerdict(claims, policy);
  if (!allowed.ok) return allowed;
  if (claims.reportData !== expectedReportData.toLowerCase()) {
    return refuse(
      403,
      "ReportDataMismatch",
      "The evidence's report data is not SHA-256(publicKeyPem) ‖ SHA-256(nonce): it does not bind " +
        "the presented key and this run's nonce.",
    );
  }
  return PASS;
}

// ---------------------------------------------------------------------------------------------
// Nonces

/** A nonce governance issued for a run (private table: key `<contractId>/<runId>`). */
export interface NonceRecord {
  nonce: string;
  /** Unix milliseconds (untrusted host clock). */
  issuedAt: number;
  expiresAt: number;
  /** Set when a claim used it: a nonce claims once. */
  usedAt?: number;
}

export const DEFAULT_NONCE_LIFETIME_SECONDS = 300;
export const MIN_NONCE_LIFETIME_SECONDS = 1;
export const MAX_NONCE_LIFETIME_SECONDS = 3600;

/**
 * Whether a nonce request gets the outstanding nonce or a new one. One nonce is outstanding per
 * run: while it is unused and unexpired every request gets the same one (so nobody can
 * invalidate the runtime's nonce by asking for another), afterwards a fresh one.
 */
export function outstandingNonce(
  record: NonceRecord | undefined,
  now: number,
): NonceRecord | undefined {
  if (record && record.usedAt === undefined && now < record.expiresAt) return record;
  return undefined;
}

/** The presented nonce against the one issued for this run. */
export function nonceVerdict(
  record: NonceRecord | undefined,
  presented: string,
  now: number,
): Verdict {
  if (!record || record.nonce !== presented) {
    return refuse(
      403,
      "NonceUnknown",
      "The nonce was not issued for this run: ask POST …/runs/{runId}/nonce and attest again.",
    );
  }
  if (record.usedAt !== undefined) {
    return refuse(403, "NonceUsed", "The nonce was already used: a nonce claims a run once.");
  }
  if (now >= record.expiresAt) {
    return refuse(
      403,
      "NonceExpired",
      "The nonce has expired: ask for a new one and attest again with fresh evidence.",
    );
  }
  return PASS;
}

// ---------------------------------------------------------------------------------------------
// Signed runtime requests

/** What a signed request must say to be used where it arrived. */
export interface PayloadExpectation {
  contractId: string;
  runId: string;
  purpose: RuntimePayload["purpose"];
  /** Fields that must equal these values (e.g. `datasetId` from the URL). */
  fields?: Record<string, string>;
}

/**
 * A signed payload is for one request of one run: its contract, run, purpose and subject must be
 * those of the URL, so a signature made for another run (or another dataset) never serves here.
 */
export function payloadVerdict(payload: RuntimePayload, expected: PayloadExpectation): Verdict {
  const mismatch = (field: string, value: unknown, wanted: string) =>
    refuse(
      403,
      "PayloadMismatch",
      `The signed payload's ${field} is ${JSON.stringify(value)}, not ${JSON.stringify(wanted)}: ` +
        "sign a payload for this request.",
    );
  if (payload.contractId !== expected.contractId) {
    return mismatch("contractId", payload.contractId, expected.contractId);
  }
  if (payload.runId !== expected.runId) return mismatch("runId", payload.runId, expected.runId);
  if (payload.purpose !== expected.purpose) {
    return mismatch("purpose", payload.purpose, expected.purpose);
  }
  for (const [field, value] of Object.entries(expected.fields ?? {})) {
    if (payload[field] !== value) return mismatch(field, payload[field], value);
  }
  return PASS;
}
