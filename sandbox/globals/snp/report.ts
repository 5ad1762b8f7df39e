/**
 * The SEV-SNP ATTESTATION_REPORT (AMD SEV-SNP ABI specification, "ATTESTATION_REPORT Structure"):
 * 1184 bytes, little-endian, signed with ECDSA P-384/SHA-384 over its first 0x2A0 bytes.
 *
 * Field names and offsets follow CCF's `pal::snp::Attestation` struct (include/ccf/pal/
 * attestation_sev_snp.h), because that struct is what CCF hands to JavaScript. One quirk is kept
 * on purpose: CCF names the byte at 0x1E8 `current_minor` and the byte at 0x1E9 `current_build`,
 * whereas AMD's specification has CURRENT_BUILD at 0x1E8 and CURRENT_MINOR at 0x1E9. An app sees
 * the same numbers under the same names here as on CCF.
 */

export const REPORT_SIZE = 0x4a0; // 1184
/** The signature covers everything before it. */
export const SIGNED_LENGTH = 0x2a0;
/** r and s are 72-byte little-endian fields; P-384 values use the low 48 bytes. */
export const SIGNATURE_COMPONENT_SIZE = 72;
export const TCB_SIZE = 8;

export const OFFSET = {
  version: 0x000,
  guestSvn: 0x004,
  policy: 0x008,
  familyId: 0x010,
  imageId: 0x020,
  vmpl: 0x030,
  signatureAlgo: 0x034,
  platformVersion: 0x038,
  platformInfo: 0x040,
  flags: 0x048,
  reportData: 0x050,
  measurement: 0x090,
  hostData: 0x0c0,
  idKeyDigest: 0x0e0,
  authorKeyDigest: 0x110,
  reportId: 0x140,
  reportIdMa: 0x160,
  reportedTcb: 0x180,
  cpuidFamId: 0x188,
  cpuidModId: 0x189,
  cpuidStep: 0x18a,
  chipId: 0x1a0,
  committedTcb: 0x1e0,
  /** CCF's name for the byte AMD calls CURRENT_BUILD (see the module comment). */
  currentMinor: 0x1e8,
  /** CCF's name for the byte AMD calls CURRENT_MINOR (see the module comment). */
  currentBuild: 0x1e9,
  currentMajor: 0x1ea,
  committedBuild: 0x1ec,
  committedMinor: 0x1ed,
  committedMajor: 0x1ee,
  launchTcb: 0x1f0,
  signatureR: 0x2a0,
  signatureS: 0x2e8,
} as const;

export const LENGTH = {
  familyId: 16,
  imageId: 16,
  reportData: 64,
  measurement: 48,
  hostData: 32,
  idKeyDigest: 48,
  authorKeyDigest: 48,
  reportId: 32,
  reportIdMa: 32,
  chipId: 64,
} as const;

/** SIGNATURE_ALGO value for ECDSA P-384 with SHA-384, the only one AMD defines. */
export const SIGNATURE_ALGO_ECDSA_P384_SHA384 = 1;
/** Lowest report version CCF accepts (`snp::minimum_attestation_version`). */
export const MINIMUM_REPORT_VERSION = 2;

export type SnpProduct = "Milan" | "Genoa" | "Turin";
export const SNP_PRODUCTS: readonly SnpProduct[] = ["Milan", "Genoa", "Turin"];

/** CCF's `get_sev_snp_product`: the product named by CPUID family and model, if known. */
export function productOf(family: number, model: number): SnpProduct | undefined {
  if (family === 0x19 && model === 0x01) return "Milan";
  if (family === 0x19 && model === 0x11) return "Genoa";
  if (family === 0x1a && model === 0x01) return "Turin";
  return undefined;
}

/** A TCB_VERSION as CCF 6.x gives it to JavaScript (Milan/Genoa byte layout). */
export interface TcbVersion {
  boot_loader: number;
  tee: number;
  snp: number;
  microcode: number;
}

/** CCF's `TcbVersionPolicy`: the components of a TCB for a product (fmc only on Turin). */
export interface TcbComponents {
  boot_loader: number;
  tee: number;
  snp: number;
  microcode: number;
  fmc?: number;
}

/**
 * The hex form CCF uses for a raw TCB (`TcbVersionRaw::to_hex`): the 8 bytes reversed, i.e. the
 * little-endian 64-bit value written most significant byte first, lower case — the same notation
 * as AMD's KDS and Azure's `tcbm`.
 */
export function tcbHex(raw: Uint8Array): string {
  return Buffer.from(raw).reverse().toString("hex");
}

/** The 6.x JavaScript view of a TCB: boot_loader, tee, 4 reserved bytes, snp, microcode. */
export function tcbVersion(raw: Uint8Array): TcbVersion {
  return { boot_loader: raw[0]!, tee: raw[1]!, snp: raw[6]!, microcode: raw[7]! };
}

/** The TCB components for a product (CCF's `TcbVersionRaw::to_policy`). */
export function tcbComponents(raw: Uint8Array, product: SnpProduct): TcbComponents {
  if (product === "Turin") {
    return { fmc: raw[0]!, boot_loader: raw[1]!, tee: raw[2]!, snp: raw[3]!, microcode: raw[7]! };
  }
  return { boot_loader: raw[0]!, tee: raw[1]!, snp: raw[6]!, microcode: raw[7]! };
}

/** A parsed report. Byte fields are copies. */
export interface SnpReport {
  readonly bytes: Uint8Array;
  readonly version: number;
  readonly guestSvn: number;
  readonly policy: bigint;
  readonly familyId: Uint8Array;
  readonly imageId: Uint8Array;
  readonly vmpl: number;
  readonly signatureAlgo: number;
  readonly platformVersion: Uint8Array;
  readonly platformInfo: bigint;
  readonly flags: number;
  readonly reportData: Uint8Array;
  readonly measurement: Uint8Array;
  readonly hostData: Uint8Array;
  readonly idKeyDigest: Uint8Array;
  readonly authorKeyDigest: Uint8Array;
  readonly reportId: Uint8Array;
  readonly reportIdMa: Uint8Array;
  readonly reportedTcb: Uint8Array;
  readonly cpuidFamId: number;
  readonly cpuidModId: number;
  readonly cpuidStep: number;
  readonly chipId: Uint8Array;
  readonly committedTcb: Uint8Array;
  readonly currentMinor: number;
  readonly currentBuild: number;
  readonly currentMajor: number;
  readonly committedBuild: number;
  readonly committedMinor: number;
  readonly committedMajor: number;
  readonly launchTcb: Uint8Array;
  readonly signatureR: Uint8Array;
  readonly signatureS: Uint8Array;
}

/** Reads the fields of a report of exactly REPORT_SIZE bytes (the caller checks the size). */
export function parseReport(bytes: Uint8Array): SnpReport {
  if (bytes.length !== REPORT_SIZE) throw new RangeError("report has the wrong size");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u8 = (offset: number) => view.getUint8(offset);
  const u32 = (offset: number) => view.getUint32(offset, true);
  const u64 = (offset: number) => view.getBigUint64(offset, true);
  const slice = (offset: number, length: number) => bytes.slice(offset, offset + length);
  return {
    bytes,
    version: u32(OFFSET.version),
    guestSvn: u32(OFFSET.guestSvn),
    policy: u64(OFFSET.policy),
    familyId: slice(OFFSET.familyId, LENGTH.familyId),
    imageId: slice(OFFSET.imageId, LENGTH.imageId),
    vmpl: u32(OFFSET.vmpl),
    signatureAlgo: u32(OFFSET.signatureAlgo),
    platformVersion: slice(OFFSET.platformVersion, TCB_SIZE),
    platformInfo: u64(OFFSET.platformInfo),
    flags: u32(OFFSET.flags),
    reportData: slice(OFFSET.reportData, LENGTH.reportData),
    measurement: slice(OFFSET.measurement, LENGTH.measurement),
    hostData: slice(OFFSET.hostData, LENGTH.hostData),
    idKeyDigest: slice(OFFSET.idKeyDigest, LENGTH.idKeyDigest),
    authorKeyDigest: slice(OFFSET.authorKeyDigest, LENGTH.authorKeyDigest),
    reportId: slice(OFFSET.reportId, LENGTH.reportId),
    reportIdMa: slice(OFFSET.reportIdMa, LENGTH.reportIdMa),
    reportedTcb: slice(OFFSET.reportedTcb, TCB_SIZE),
    cpuidFamId: u8(OFFSET.cpuidFamId),
    cpuidModId: u8(OFFSET.cpuidModId),
    cpuidStep: u8(OFFSET.cpuidStep),
    chipId: slice(OFFSET.chipId, LENGTH.chipId),
    committedTcb: slice(OFFSET.committedTcb, TCB_SIZE),
    currentMinor: u8(OFFSET.currentMinor),
    currentBuild: u8(OFFSET.currentBuild),
    currentMajor: u8(OFFSET.currentMajor),
    committedBuild: u8(OFFSET.committedBuild),
    committedMinor: u8(OFFSET.committedMinor),
    committedMajor: u8(OFFSET.committedMajor),
    launchTcb: slice(OFFSET.launchTcb, TCB_SIZE),
    signatureR: slice(OFFSET.signatureR, SIGNATURE_COMPONENT_SIZE),
    signatureS: slice(OFFSET.signatureS, SIGNATURE_COMPONENT_SIZE),
  };
}

/** GUEST_POLICY bits (ABI spec; CCF's `GuestPolicy` bit-field). */
export const POLICY = {
  abiMinor: (p: bigint) => Number(p & 0xffn),
  abiMajor: (p: bigint) => Number((p >> 8n) & 0xffn),
  smt: (p: bigint) => Number((p >> 16n) & 1n),
  migrateMa: (p: bigint) => Number((p >> 18n) & 1n),
  debug: (p: bigint) => Number((p >> 19n) & 1n),
  singleSocket: (p: bigint) => Number((p >> 20n) & 1n),
};

/** Report flags: AUTHOR_KEY_EN (bit 0), MASK_CHIP_KEY (bit 1), SIGNING_KEY (bits 2-4; 0 = VCEK). */
export const FLAGS = {
  authorKeyEn: (f: number) => f & 1,
  maskChipKey: (f: number) => (f >>> 1) & 1,
  signingKey: (f: number) => (f >>> 2) & 7,
};

/** PLATFORM_INFO bits: SMT_EN (bit 0), TSME_EN (bit 1). */
export const PLATFORM_INFO = {
  smtEn: (i: bigint) => Number(i & 1n),
  tsmeEn: (i: bigint) => Number((i >> 1n) & 1n),
};
