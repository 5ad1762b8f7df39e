/**
 * Verification of a SEV-SNP attestation report against its AMD endorsements, as CCF's
 * `verify_snp_attestation_report` does it (include/ccf/pal/attestation.h in 6.x; the same checks,
 * plus the endorsed-TCB comparison, in 7.x's src/pal/attestation.cpp), in CCF's order and with
 * CCF's messages:
 *
 *  1. the report is 1184 bytes; its CPUID family/model name a known product; version >= 2;
 *     signed by the VCEK (SIGNING_KEY 0); MASK_CHIP_KEY clear; VMPL 0-3 (a guest request);
 *  2. the endorsements are a PEM bundle of exactly three certificates, VCEK, ASK, ARK;
 *  3. the ARK's public key is the trusted AMD root key for the product (Milan for v2 reports);
 *     the ARK is a CA, currently valid and self-signed;
 *  4. VCEK <- ASK <- ARK is a valid certificate path at the current time;
 *  5. SIGNATURE_ALGO is ECDSA P-384/SHA-384 and the VCEK signed the report;
 *  6. guest policy: DEBUG and MIGRATE_MA clear;
 *  7. the TCB the VCEK certifies (AMD's VCEK extensions blSPL, teeSPL, snpSPL, ucodeSPL, and fmcSPL
 *     on Turin) does not exceed the reported TCB, component by component (skipped when the VCEK
 *     lacks one of them, as CCF does);
 *  8. the chip ID the VCEK certifies (hwID extension), if present, is the report's CHIP_ID;
 *  9. the caller's `endorsed_tcb`, if given, is exactly the reported TCB (hex as CCF 7 writes a
 *     TCB: the 8 bytes reversed, e.g. "db18000000000004", AMD's and Azure's `tcbm` notation;
 *     early 6.x code compared the hex in memory order instead, and the last 6.x code seen did not
 *     compare it at all).
 *
 * Deliberate differences from the CCF 6.x code seen, all of which only refuse more:
 * - early 6.x passed the ASK as a second trust anchor (so an ASK not signed by the ARK passed);
 *   later 6.x read the VCEK's snpSPL from the spl_7 extension. Both are fixed in CCF 7 and done
 *   right here.
 * - A VCEK TCB extension that is not a DER INTEGER is refused (OpenSSL would read it as 0).
 * - A non-hex `endorsed_tcb` is refused (CCF's hex decoder turns bad digits into arbitrary bytes).
 * - The ARK's self-signature is verified (CCF's check only looks at its CA flag and validity).
 */
import { verify as verifySignature, type KeyObject } from "node:crypto";
import { Certificate, CertificateError, pathProblem, splitPemBundle } from "./certificate.js";
import {
  FLAGS,
  MINIMUM_REPORT_VERSION,
  POLICY,
  REPORT_SIZE,
  SIGNATURE_ALGO_ECDSA_P384_SHA384,
  SIGNED_LENGTH,
  parseReport,
  productOf,
  tcbComponents,
  tcbHex,
  type SnpProduct,
  type SnpReport,
  type TcbComponents,
} from "./report.js";

/** A refusal; the message is what CCF reports. */
export class SnpVerificationError extends Error {}

const fail = (message: string): never => {
  throw new SnpVerificationError(message);
};

/** AMD VCEK certificate extensions (VCEK Certificate and KDS Interface Specification, 57230). */
export const VCEK_OID = {
  blSPL: "1.3.6.1.4.1.3704.1.3.1",
  teeSPL: "1.3.6.1.4.1.3704.1.3.2",
  snpSPL: "1.3.6.1.4.1.3704.1.3.3",
  ucodeSPL: "1.3.6.1.4.1.3704.1.3.8",
  fmcSPL: "1.3.6.1.4.1.3704.1.3.9",
  hwID: "1.3.6.1.4.1.3704.1.4",
} as const;

/**
 * The value of a DER INTEGER of up to 6 content octets, or undefined if `bytes` is not exactly
 * one. AMD's VCEK states each security patch level as an extension whose value is such an INTEGER
 * (`02 01 18`); @peculiar/x509 hands extension values over as raw bytes and offers no decoder for
 * a bare ASN.1 INTEGER, so this one TLV is decoded here, strictly (short-form length, minimal
 * two's complement encoding).
 */
export function derInteger(bytes: Uint8Array): number | undefined {
  const length = bytes[1];
  if (bytes[0] !== 0x02 || length === undefined || length < 1 || length > 6) return undefined;
  if (bytes.length !== 2 + length) return undefined;
  const content = bytes.subarray(2);
  if (
    length > 1 &&
    (content[0] === 0x00 ? content[1]! < 0x80 : content[0] === 0xff && content[1]! >= 0x80)
  )
    return undefined; // not minimal
  let value = 0;
  for (const byte of content) value = value * 256 + byte;
  return content[0]! >= 0x80 ? value - 2 ** (8 * length) : value;
}

/** A TCB component from a VCEK extension: undefined when absent, refused when malformed. */
function vcekInteger(vcek: Certificate, oid: string, field: string): number | undefined {
  const extension = vcek.extension(oid);
  if (!extension) return undefined;
  const value =
    derInteger(extension.value) ?? fail(`Invalid ${field} value in TCB version: not an integer`);
  if (value < 0 || value > 0xff) fail(`Invalid ${field} value in TCB version: ${value}`);
  return value;
}

/** The TCB the VCEK certifies, or undefined if it does not state every component (CCF skips). */
function endorsedTcbOf(vcek: Certificate, product: SnpProduct): TcbComponents | undefined {
  const read = (oid: string, field: string) => vcekInteger(vcek, oid, field);
  const fmc = product === "Turin" ? read(VCEK_OID.fmcSPL, "fmc") : undefined;
  if (product === "Turin" && fmc === undefined) return undefined;
  const boot_loader = read(VCEK_OID.blSPL, "boot_loader");
  const tee = read(VCEK_OID.teeSPL, "tee");
  const snp = read(VCEK_OID.snpSPL, "snp");
  const microcode = read(VCEK_OID.ucodeSPL, "microcode");
  if (
    boot_loader === undefined ||
    tee === undefined ||
    snp === undefined ||
    microcode === undefined
  )
    return undefined;
  return product === "Turin"
    ? { fmc, boot_loader, tee, snp, microcode }
    : { boot_loader, tee, snp, microcode };
}

/** The raw 8-byte TCB for the endorsed components, laid out for the product. */
function rawTcb(tcb: TcbComponents, product: SnpProduct): Uint8Array {
  const raw = new Uint8Array(8);
  if (product === "Turin") {
    raw.set([tcb.fmc ?? 0, tcb.boot_loader, tcb.tee, tcb.snp], 0);
  } else {
    raw.set([tcb.boot_loader, tcb.tee], 0);
    raw[6] = tcb.snp;
  }
  raw[7] = tcb.microcode;
  return raw;
}

/** nlohmann::json's dump of CCF's TcbVersionPolicy (keys sorted, absent ones left out). */
function policyJson(tcb: TcbComponents, raw: Uint8Array): string {
  const fields: Array<[string, number | string | undefined]> = [
    ["boot_loader", tcb.boot_loader],
    ["fmc", tcb.fmc],
    ["hexstring", tcbHex(raw)],
    ["microcode", tcb.microcode],
    ["snp", tcb.snp],
    ["tee", tcb.tee],
  ];
  return `{${fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(",")}}`;
}

function meetsEndorsed(reported: TcbComponents, endorsed: TcbComponents): boolean {
  return (
    endorsed.boot_loader <= reported.boot_loader &&
    endorsed.tee <= reported.tee &&
    endorsed.snp <= reported.snp &&
    endorsed.microcode <= reported.microcode &&
    (endorsed.fmc ?? 0) <= (reported.fmc ?? 0)
  );
}

/** CCF's `TcbVersionRaw::from_hex`: 16 hex digits, bytes reversed. */
function parseEndorsedTcb(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) fail(`Input string '${hex}' is not of even length: ${hex.length}`);
  if (hex.length / 2 !== 8) fail(`Invalid TCB version data size: ${hex.length / 2}`);
  if (!/^[0-9a-fA-F]*$/.test(hex)) fail(`SEV-SNP: endorsed TCB ${hex} is not valid hex`);
  return Buffer.from(hex, "hex").reverse();
}

function parseEndorsementCertificate(pem: string): Certificate {
  try {
    return Certificate.parse(pem);
  } catch (error) {
    if (error instanceof CertificateError) return fail(error.message);
    throw error;
  }
}

/** The report signature as `r ‖ s` big-endian (96 bytes), or undefined if out of range. */
function p1363Signature(report: SnpReport): Buffer | undefined {
  const component = (le: Uint8Array) => {
    // Values >= 2^384 cannot be valid P-384 signature components.
    if (le.subarray(48).some((b) => b !== 0)) return undefined;
    return Buffer.from(le.subarray(0, 48)).reverse();
  };
  const r = component(report.signatureR);
  const s = component(report.signatureS);
  return r && s ? Buffer.concat([r, s]) : undefined;
}

function isP384(key: KeyObject): boolean {
  return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "secp384r1";
}

const spkiDer = (key: KeyObject) => key.export({ type: "spki", format: "der" });
const spkiPem = (key: KeyObject) => key.export({ type: "spki", format: "pem" }).toString();

/** The trusted AMD root keys, by product. */
export type TrustedArks = ReadonlyMap<SnpProduct, KeyObject>;

export interface VerifyOptions {
  /** The caller's endorsed TCB (hex, CCF's notation); checked for equality with the report's. */
  readonly endorsedTcb?: string;
  /** The time certificate validity is checked at (default: now). */
  readonly now?: Date;
}

/**
 * Verifies `evidence` (the raw report) with `endorsements` (PEM VCEK, ASK, ARK) and returns the
 * parsed report. Throws `SnpVerificationError` with CCF's message on any refusal.
 */
export function verifyAttestationReport(
  evidence: Uint8Array,
  endorsements: Uint8Array,
  arks: TrustedArks,
  options: VerifyOptions = {},
): SnpReport {
  if (evidence.length !== REPORT_SIZE)
    fail(
      `Input SEV-SNP attestation report is not of expected size ${REPORT_SIZE}: ${evidence.length}`,
    );
  const report = parseReport(Uint8Array.from(evidence));
  const product =
    productOf(report.cpuidFamId, report.cpuidModId) ??
    fail(`SEV-SNP: Unsupported CPUID family ${report.cpuidFamId} model ${report.cpuidModId}`);

  if (report.version < MINIMUM_REPORT_VERSION)
    fail(
      `SEV-SNP: Attestation version is ${report.version} not >= expected minimum ${MINIMUM_REPORT_VERSION}`,
    );
  if (FLAGS.signingKey(report.flags) !== 0)
    fail(`SEV-SNP: Attestation report must be signed by VCEK: ${FLAGS.signingKey(report.flags)}`);
  if (FLAGS.maskChipKey(report.flags) !== 0) fail("SEV-SNP: Mask chip key must not be set");
  if (report.vmpl > 3)
    fail(`SEV-SNP: VMPL for guest attestations must be in 0-3 range, not ${report.vmpl}`);

  // CCF reads the bundle as bytes; PEM is ASCII, so Latin-1 keeps every byte as one character.
  const pems = splitPemBundle(Buffer.from(endorsements).toString("latin1"));
  if (pems.length !== 3) fail(`Expected 3 endorsement certificates but got ${pems.length}`);
  const [vcekPem, askPem, arkPem] = pems as [string, string, string];

  const ark = parseEndorsementCertificate(arkPem);
  // Before version 3 reports carry no CPUID: CCF assumes Milan.
  const expectedProduct: SnpProduct = report.version < 3 ? "Milan" : product;
  const expectedKey =
    arks.get(expectedProduct) ??
    fail(`SEV-SNP: Unsupported CPUID family ${report.cpuidFamId} model ${report.cpuidModId}`);
  if (!spkiDer(ark.publicKey).equals(spkiDer(expectedKey)))
    fail(
      `SEV-SNP: The root of trust public key for this attestation was not the expected one for v${report.version} ${report.cpuidFamId} ${report.cpuidModId}:  ${spkiPem(ark.publicKey)} != ${spkiPem(expectedKey)}`,
    );

  const now = options.now ?? new Date();
  if (!ark.isCa || !ark.isValidAt(now) || !ark.selfIssued || !ark.isSignedBy(ark.publicKey))
    fail(
      "SEV-SNP: The root of trust public key for this attestation was not self signed as expected",
    );

  const vcek = parseEndorsementCertificate(vcekPem);
  let ask: Certificate | undefined;
  try {
    ask = Certificate.parse(askPem);
  } catch {
    ask = undefined;
  }
  if (!ask || pathProblem([vcek, ask, ark], { at: now }) !== undefined)
    fail("SEV-SNP: The chain of signatures from the root of trust to this attestation is broken");

  if (report.signatureAlgo !== SIGNATURE_ALGO_ECDSA_P384_SHA384)
    fail(
      `SEV-SNP: Unsupported signature algorithm: ${report.signatureAlgo} (supported: ${SIGNATURE_ALGO_ECDSA_P384_SHA384})`,
    );
  const signature = p1363Signature(report);
  let signed = false;
  if (signature && isP384(vcek.publicKey)) {
    signed = verifySignature(
      "sha384",
      report.bytes.subarray(0, SIGNED_LENGTH),
      { key: vcek.publicKey, dsaEncoding: "ieee-p1363" },
      signature,
    );
  }
  if (!signed) fail("SEV-SNP: Chip certificate (VCEK) did not sign this attestation");

  if (POLICY.debug(report.policy) !== 0)
    fail("SEV-SNP: SNP attestation report guest policy debugging must not be enabled");
  if (POLICY.migrateMa(report.policy) !== 0) fail("SEV-SNP: Migration agents must not be enabled");

  const endorsed = endorsedTcbOf(vcek, product);
  if (endorsed) {
    const reported = tcbComponents(report.reportedTcb, product);
    if (!meetsEndorsed(reported, endorsed))
      fail(
        `SEV-SNP: Reported TCB ${policyJson(reported, report.reportedTcb)} does not meet or exceed the endorsed TCB ${JSON.stringify(tcbHex(rawTcb(endorsed, product)))}`,
      );
  }

  const chipId = vcek.extension(VCEK_OID.hwID)?.value;
  if (chipId && !Buffer.from(chipId).equals(Buffer.from(report.chipId)))
    fail(
      `SEV-SNP: Chip ID in attestation does not match endorsed chip ID: ${Buffer.from(chipId).toString("hex")} != ${Buffer.from(report.chipId).toString("hex")}`,
    );

  if (options.endorsedTcb !== undefined) {
    const claimed = parseEndorsedTcb(options.endorsedTcb);
    if (!Buffer.from(claimed).equals(Buffer.from(report.reportedTcb)))
      fail(
        `SEV-SNP: endorsed TCB ${tcbHex(claimed)} does not match reported TCB ${tcbHex(report.reportedTcb)}`,
      );
  }

  return report;
}
