/**
 * The host side of CCF's global `snp_attestation.verifySnpAttestation(evidence, endorsements,
 * uvm_endorsements?, endorsed_tcb?)` (ccf-runtime.md §3.1; microsoft/CCF
 * src/js/extensions/snp_attestation.cpp).
 *
 * - `evidence` (the 1184-byte ATTESTATION_REPORT) and `endorsements` (PEM VCEK, ASK, ARK) must be
 *   ArrayBuffers, `uvm_endorsements` an ArrayBuffer or undefined: anything else is a TypeError,
 *   as QuickJS's JS_GetArrayBuffer raises it. `endorsed_tcb`, unless undefined, is converted to a
 *   string as JS would.
 * - Every refusal is a RangeError carrying CCF's message (CCF turns any exception from the checks
 *   into `JS_ThrowRangeError("%s", e.what())`).
 * - The result has CCF's shape: `{attestation: {...}, uvm_endorsements?: {did, feed, svn}}`, byte
 *   fields as Uint8Array here (ArrayBuffers once marshalled into QuickJS), TCB versions as
 *   `{boot_loader, tee, snp, microcode}` objects (CCF 6.x; @microsoft/ccf-app 6.0.1 typings).
 *
 * Where CCF differs from its own typings, this follows CCF, so that an app that works here works
 * there: the platform info object is named `plaform_info` (sic — CCF's key in every version; the
 * typings' `platform_info` is always undefined on CCF), and `current_minor`/`current_build` are
 * the bytes at 0x1E8/0x1E9 (CCF's struct order; AMD's spec has them the other way round).
 *
 * What is trusted comes from the caller (`SnpTrust`): production uses CCF's roots
 * (`CCF_DEFAULT_SNP_TRUST`), tests trust a root they generated.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { Opaque, type HostValue } from "../quickjs/marshal.js";
import { verifyAttestationReport } from "./snp/attestation.js";
import {
  FLAGS,
  PLATFORM_INFO,
  POLICY,
  SNP_PRODUCTS,
  tcbVersion,
  type SnpProduct,
  type SnpReport,
  type TcbVersion,
} from "./snp/report.js";
import {
  AMD_GENOA_ARK_PUBLIC_KEY,
  AMD_MILAN_ARK_PUBLIC_KEY,
  CCF_UVM_ROOTS_OF_TRUST,
} from "./snp/roots.js";
import { verifyUvmEndorsements, type UvmRootOfTrust } from "./snp/uvm.js";

export type { SnpProduct, UvmRootOfTrust };

/** What `verifySnpAttestation` trusts. */
export interface SnpTrust {
  /**
   * The AMD root key (ARK) trusted for each processor product, as PEM SubjectPublicKeyInfo. A
   * report whose product has no key here is refused ("Unsupported CPUID family …"), as CCF does.
   */
  readonly amdRootKeys: Readonly<Partial<Record<SnpProduct, string>>>;
  /** UVM endorsement issuers: DID and feed must match; svn is the minimum. */
  readonly uvmRootsOfTrust: readonly UvmRootOfTrust[];
}

/** What a CCF 6.x node trusts: AMD's Milan and Genoa roots, CCF's default UVM roots. */
export const CCF_DEFAULT_SNP_TRUST: SnpTrust = Object.freeze({
  amdRootKeys: Object.freeze({ Milan: AMD_MILAN_ARK_PUBLIC_KEY, Genoa: AMD_GENOA_ARK_PUBLIC_KEY }),
  uvmRootsOfTrust: CCF_UVM_ROOTS_OF_TRUST,
});

/** Parsed root keys per trust object (a trust is usually one long-lived constant). */
const parsedRoots = new WeakMap<SnpTrust, ReadonlyMap<SnpProduct, KeyObject>>();

function rootKeys(trust: SnpTrust): ReadonlyMap<SnpProduct, KeyObject> {
  let keys = parsedRoots.get(trust);
  if (!keys) {
    const map = new Map<SnpProduct, KeyObject>();
    for (const product of SNP_PRODUCTS) {
      const pem = trust.amdRootKeys[product];
      if (pem !== undefined) map.set(product, createPublicKey(pem));
    }
    keys = map;
    parsedRoots.set(trust, keys);
  }
  return keys;
}

/** The bytes of an ArrayBuffer argument; TypeError (QuickJS's) for anything else. */
function bufferArgument(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  // Host-side callers may hand bytes over directly; guest TypedArrays arrive as Opaque.
  if (value instanceof Uint8Array) return value;
  throw new TypeError("ArrayBuffer object expected");
}

/**
 * JS ToString of an argument, as CCF's `jsctx.to_str` does it. (A guest value the host only sees
 * as `Opaque` — a TypedArray, a function — is approximated as "[object Object]".)
 */
function stringArgument(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return "[object ArrayBuffer]";
  if (value instanceof Opaque) return "[object Object]";
  return String(value);
}

function tcb(raw: Uint8Array): HostValue {
  const version: TcbVersion = tcbVersion(raw);
  return { ...version };
}

/** CCF's JavaScript view of a verified report (key order as CCF sets them). */
function attestationValue(report: SnpReport): HostValue {
  return {
    version: report.version,
    guest_svn: report.guestSvn,
    policy: {
      abi_minor: POLICY.abiMinor(report.policy),
      abi_major: POLICY.abiMajor(report.policy),
      smt: POLICY.smt(report.policy),
      migrate_ma: POLICY.migrateMa(report.policy),
      debug: POLICY.debug(report.policy),
      single_socket: POLICY.singleSocket(report.policy),
    },
    family_id: report.familyId,
    image_id: report.imageId,
    vmpl: report.vmpl,
    signature_algo: report.signatureAlgo,
    platform_version: tcb(report.platformVersion),
    plaform_info: {
      smt_en: PLATFORM_INFO.smtEn(report.platformInfo),
      tsme_en: PLATFORM_INFO.tsmeEn(report.platformInfo),
    },
    flags: {
      author_key_en: FLAGS.authorKeyEn(report.flags),
      mask_chip_key: FLAGS.maskChipKey(report.flags),
      signing_key: FLAGS.signingKey(report.flags),
    },
    report_data: report.reportData,
    measurement: report.measurement,
    host_data: report.hostData,
    id_key_digest: report.idKeyDigest,
    author_key_digest: report.authorKeyDigest,
    report_id: report.reportId,
    report_id_ma: report.reportIdMa,
    reported_tcb: tcb(report.reportedTcb),
    cpuid_fam_id: report.cpuidFamId,
    cpuid_mod_id: report.cpuidModId,
    cpuid_step: report.cpuidStep,
    chip_id: report.chipId,
    committed_tcb: tcb(report.committedTcb),
    current_minor: report.currentMinor,
    current_build: report.currentBuild,
    current_major: report.currentMajor,
    committed_build: report.committedBuild,
    committed_minor: report.committedMinor,
    committed_major: report.committedMajor,
    launch_tcb: tcb(report.launchTcb),
    signature: { r: report.signatureR, s: report.signatureS },
  };
}

/**
 * `snp_attestation.verifySnpAttestation` on the host. Throws TypeError for arguments of the wrong
 * type and RangeError (CCF's message) when the evidence does not verify.
 */
export function verifySnpAttestation(
  trust: SnpTrust,
  evidence: unknown,
  endorsements: unknown,
  uvmEndorsements?: unknown,
  endorsedTcb?: unknown,
): HostValue {
  const evidenceBytes = bufferArgument(evidence);
  const endorsementBytes = bufferArgument(endorsements);
  const uvmBytes = uvmEndorsements === undefined ? undefined : bufferArgument(uvmEndorsements);
  const tcbText = endorsedTcb === undefined ? undefined : stringArgument(endorsedTcb);

  try {
    const report = verifyAttestationReport(evidenceBytes, endorsementBytes, rootKeys(trust), {
      endorsedTcb: tcbText,
    });
    const result: { [key: string]: HostValue } = { attestation: attestationValue(report) };
    if (uvmBytes !== undefined) {
      const uvm = verifyUvmEndorsements(uvmBytes, report.measurement, trust.uvmRootsOfTrust);
      result.uvm_endorsements = { did: uvm.did, feed: uvm.feed, svn: uvm.svn };
    }
    return result;
  } catch (error) {
    // CCF catches every std::exception from the checks and rethrows its text as a RangeError.
    const message = error instanceof Error ? error.message : String(error);
    throw new RangeError(message, { cause: error });
  }
}

/**
 * The same, with CCF's argument-count check (2 to 4 arguments, else TypeError "Passed N
 * arguments, but expected between 2 and 4"), for an interpreter that passes the guest's
 * arguments through as they came.
 */
export function verifySnpAttestationCall(trust: SnpTrust, args: readonly unknown[]): HostValue {
  if (args.length < 2 || args.length > 4)
    throw new TypeError(`Passed ${args.length} arguments, but expected between 2 and 4`);
  return verifySnpAttestation(trust, args[0], args[1], args[2], args[3]);
}
