/**
 * Test-only SEV-SNP evidence: a generated AMD-like PKI (ARK → ASK → VCEK), a signed 1184-byte
 * ATTESTATION_REPORT with chosen fields, optional UVM endorsements signed by a generated did:x509
 * chain, and the `SnpTrust` that trusts the generated roots.
 *
 * The PKI mirrors AMD's: ARK and ASK are RSA-4096 keys and sign with RSASSA-PSS/SHA-384 (salt 48);
 * the VCEK is an EC P-384 key carrying AMD's VCEK extensions (structVersion, productName, blSPL,
 * teeSPL, snpSPL, spl_4..spl_7, ucodeSPL, fmcSPL on Turin, hwID = the chip ID). The report is laid
 * out from AMD's ABI specification independently of the verifier's own table, so a test that
 * compares what was written with what was parsed checks the verifier's offsets.
 *
 * RSA-4096 key generation is slow (two keys: about 1-4 s on two cores): the keys are generated once
 * per process, in parallel, and cached, as are the ARK/ASK certificates per product. A further
 * evidence costs about 20 ms.
 *
 * Usage:
 *   const e = await generateSnpEvidence({ measurement, reportData, uvm: {} });
 *   verifySnpAttestation(e.trust, toArrayBuffer(e.evidence), toArrayBuffer(e.endorsementsBytes),
 *     e.uvmEndorsements && toArrayBuffer(e.uvmEndorsements));
 */
import {
  constants,
  createHash,
  createPublicKey,
  generateKeyPair,
  sign,
  webcrypto,
  type KeyObject,
} from "node:crypto";
import { promisify } from "node:util";
import { Encoder, Tag } from "cbor-x";
import { sigStructure } from "../../sandbox/cose/sign1.js";
import type { SnpProduct, SnpTrust } from "../../sandbox/globals/snp.js";
import { x509 } from "../../sandbox/x509.js";

const generateKeyPairAsync = promisify(generateKeyPair);

// ---------------------------------------------------------------------------------------------
// Keys (generated once per process)

export interface SnpTestKeys {
  /** The generated AMD root key (RSA 4096). */
  readonly ark: KeyObject;
  /** The generated AMD signing key (RSA 4096). */
  readonly ask: KeyObject;
  /** An RSA key nobody trusts (2048 bits: its size does not matter), for forged signatures. */
  readonly rogue: KeyObject;
  /** Public halves, PEM. */
  readonly arkPublicPem: string;
  readonly roguePublicPem: string;
  /** The UVM signing CA (EC P-384) and an RSA-2048 leaf key for PS384 endorsements. */
  readonly uvmRoot: KeyObject;
  readonly uvmRsaLeaf: KeyObject;
}

let keysPromise: Promise<SnpTestKeys> | undefined;

/** The cached test keys (private keys; `.publicKey` views via createPublicKey). */
export function snpTestKeys(): Promise<SnpTestKeys> {
  keysPromise ??= (async () => {
    const rsa4096 = () => generateKeyPairAsync("rsa", { modulusLength: 4096 });
    const [ark, ask, rogue, uvmRoot, uvmRsaLeaf] = await Promise.all([
      rsa4096(),
      rsa4096(),
      generateKeyPairAsync("rsa", { modulusLength: 2048 }),
      generateKeyPairAsync("ec", { namedCurve: "P-384" }),
      generateKeyPairAsync("rsa", { modulusLength: 2048 }),
    ]);
    const pem = (key: KeyObject) => key.export({ type: "spki", format: "pem" }).toString();
    return {
      ark: ark.privateKey,
      ask: ask.privateKey,
      rogue: rogue.privateKey,
      arkPublicPem: pem(ark.publicKey),
      roguePublicPem: pem(rogue.publicKey),
      uvmRoot: uvmRoot.privateKey,
      uvmRsaLeaf: uvmRsaLeaf.privateKey,
    };
  })();
  return keysPromise;
}

// ---------------------------------------------------------------------------------------------
// Certificates

/** A distinguished name as (attribute OID, value) pairs, most significant first. */
export type NameSpec = ReadonlyArray<readonly [oid: string, value: string]>;

export const OID_NAME = {
  CN: "2.5.4.3",
  C: "2.5.4.6",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  O: "2.5.4.10",
  OU: "2.5.4.11",
};

const toName = (spec: NameSpec) => new x509.Name(spec.map(([oid, value]) => ({ [oid]: [value] })));

function amdName(cn: string): NameSpec {
  return [
    [OID_NAME.OU, "Engineering"],
    [OID_NAME.C, "US"],
    [OID_NAME.L, "Santa Clara"],
    [OID_NAME.ST, "CA"],
    [OID_NAME.O, "Cleanroom test AMD"],
    [OID_NAME.CN, cn],
  ];
}

const publicOf = (key: KeyObject) => (key.type === "private" ? createPublicKey(key) : key);
const spkiDer = (key: KeyObject) => publicOf(key).export({ type: "spki", format: "der" });

/** A WebCrypto signing key for @peculiar/x509: RSA keys sign RSASSA-PSS, EC keys ECDSA. */
async function signingKey(key: KeyObject): Promise<{
  key: webcrypto.CryptoKey;
  algorithm: { name: "RSA-PSS"; saltLength: number } | { name: "ECDSA"; hash: "SHA-384" };
}> {
  const pkcs8 = key.export({ type: "pkcs8", format: "der" });
  if (key.asymmetricKeyType === "rsa") {
    const imported = await webcrypto.subtle.importKey(
      "pkcs8",
      pkcs8,
      { name: "RSA-PSS", hash: "SHA-384" },
      false,
      ["sign"],
    );
    return { key: imported, algorithm: { name: "RSA-PSS", saltLength: 48 } };
  }
  const curve = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" }[
    key.asymmetricKeyDetails?.namedCurve as string
  ];
  const imported = await webcrypto.subtle.importKey(
    "pkcs8",
    pkcs8,
    { name: "ECDSA", namedCurve: curve ?? "P-384" },
    false,
    ["sign"],
  );
  return { key: imported, algorithm: { name: "ECDSA", hash: "SHA-384" } };
}

/** An X.509 extension with these extnValue bytes. */
export function extension(oid: string, critical: boolean, value: Uint8Array): x509.Extension {
  return new x509.Extension(oid, critical, value);
}

export interface CertificateSpec {
  readonly subject: NameSpec;
  readonly issuer: NameSpec;
  /** The certified key (public, or a private key whose public half is certified). */
  readonly key: KeyObject;
  /** The issuer's private key (RSA → RSASSA-PSS/SHA-384 salt 48, EC → ECDSA/SHA-384). */
  readonly signer: KeyObject;
  /** The issuer's key for the authority key identifier (default: the signer's public key). */
  readonly issuerKey?: KeyObject;
  readonly serial?: number;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** CA certificate: critical basicConstraints cA, keyCertSign|cRLSign. */
  readonly ca?: boolean;
  readonly keyUsage?: number;
  readonly extendedKeyUsage?: readonly string[];
  /** Subject alternative names. */
  readonly subjectAltNames?: ReadonlyArray<{ type: "dns" | "email" | "url"; value: string }>;
  readonly extraExtensions?: readonly x509.Extension[];
}

const DAY = 24 * 60 * 60 * 1000;

/** A DER certificate, signed as the spec says. */
export async function makeCertificate(spec: CertificateSpec): Promise<Uint8Array> {
  const extensions: x509.Extension[] = [];
  if (spec.ca) extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
  const usage =
    spec.keyUsage ??
    (spec.ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : undefined);
  if (usage !== undefined) extensions.push(new x509.KeyUsagesExtension(usage, true));
  if (spec.extendedKeyUsage)
    extensions.push(new x509.ExtendedKeyUsageExtension([...spec.extendedKeyUsage], false));
  if (spec.subjectAltNames)
    extensions.push(new x509.SubjectAlternativeNameExtension([...spec.subjectAltNames], false));
  extensions.push(
    await x509.SubjectKeyIdentifierExtension.create(spkiDer(spec.key)),
    await x509.AuthorityKeyIdentifierExtension.create(spkiDer(spec.issuerKey ?? spec.signer)),
    ...(spec.extraExtensions ?? []),
  );
  const signer = await signingKey(spec.signer);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `01${((spec.serial ?? 1) & 0xff).toString(16).padStart(2, "0")}`,
    subject: toName(spec.subject),
    issuer: toName(spec.issuer),
    notBefore: spec.notBefore ?? new Date(now - DAY),
    notAfter: spec.notAfter ?? new Date(now + 3650 * DAY),
    publicKey: spkiDer(spec.key),
    signingKey: signer.key,
    signingAlgorithm: signer.algorithm,
    extensions,
  });
  return new Uint8Array(cert.rawData);
}

export function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64");
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
}

// ---------------------------------------------------------------------------------------------
// The report (offsets from AMD's SEV-SNP ABI specification, ATTESTATION_REPORT structure)

export interface TcbParts {
  bootLoader: number;
  tee: number;
  snp: number;
  microcode: number;
  /** Turin only. */
  fmc?: number;
}

/** The 8 raw TCB_VERSION bytes for a product's layout. */
export function tcbBytes(tcb: TcbParts, product: SnpProduct): Uint8Array {
  const raw = new Uint8Array(8);
  if (product === "Turin") raw.set([tcb.fmc ?? 0, tcb.bootLoader, tcb.tee, tcb.snp]);
  else {
    raw[0] = tcb.bootLoader;
    raw[1] = tcb.tee;
    raw[6] = tcb.snp;
  }
  raw[7] = tcb.microcode;
  return raw;
}

/** CCF's hex notation for a TCB (bytes reversed), as `endorsed_tcb` takes it. */
export function tcbHexOf(tcb: TcbParts, product: SnpProduct): string {
  return Buffer.from(tcbBytes(tcb, product)).reverse().toString("hex");
}

const PRODUCT = {
  Milan: { family: 0x19, model: 0x01, stepping: 1, kdsName: "Milan-B0" },
  Genoa: { family: 0x19, model: 0x11, stepping: 1, kdsName: "Genoa-B1" },
  Turin: { family: 0x1a, model: 0x01, stepping: 0, kdsName: "Turin-C0" },
} as const;

export const DEFAULT_TCB: Record<SnpProduct, TcbParts> = {
  Milan: { bootLoader: 4, tee: 0, snp: 24, microcode: 219 },
  Genoa: { bootLoader: 10, tee: 0, snp: 23, microcode: 84 },
  Turin: { fmc: 1, bootLoader: 2, tee: 3, snp: 4, microcode: 5 },
};

/** The fields written into the report (defaults filled in). */
export interface ReportFields {
  version: number;
  guestSvn: number;
  policy: bigint;
  familyId: Uint8Array;
  imageId: Uint8Array;
  vmpl: number;
  signatureAlgo: number;
  platformVersion: Uint8Array;
  platformInfo: bigint;
  flags: number;
  reportData: Uint8Array;
  measurement: Uint8Array;
  hostData: Uint8Array;
  idKeyDigest: Uint8Array;
  authorKeyDigest: Uint8Array;
  reportId: Uint8Array;
  reportIdMa: Uint8Array;
  reportedTcb: Uint8Array;
  cpuidFamily: number;
  cpuidModel: number;
  cpuidStepping: number;
  chipId: Uint8Array;
  committedTcb: Uint8Array;
  /** AMD names (CCF calls the byte at 0x1E8 current_minor and 0x1E9 current_build). */
  currentBuild: number;
  currentMinor: number;
  currentMajor: number;
  committedBuild: number;
  committedMinor: number;
  committedMajor: number;
  launchTcb: Uint8Array;
}

/** 1184 bytes, unsigned. */
export function layoutReport(f: ReportFields): Uint8Array {
  const bytes = new Uint8Array(0x4a0);
  const view = new DataView(bytes.buffer);
  const put = (offset: number, value: Uint8Array, length: number) => {
    if (value.length !== length) throw new Error(`field at ${offset} must be ${length} bytes`);
    bytes.set(value, offset);
  };
  view.setUint32(0x000, f.version, true);
  view.setUint32(0x004, f.guestSvn, true);
  view.setBigUint64(0x008, f.policy, true);
  put(0x010, f.familyId, 16);
  put(0x020, f.imageId, 16);
  view.setUint32(0x030, f.vmpl, true);
  view.setUint32(0x034, f.signatureAlgo, true);
  put(0x038, f.platformVersion, 8);
  view.setBigUint64(0x040, f.platformInfo, true);
  view.setUint32(0x048, f.flags, true);
  put(0x050, f.reportData, 64);
  put(0x090, f.measurement, 48);
  put(0x0c0, f.hostData, 32);
  put(0x0e0, f.idKeyDigest, 48);
  put(0x110, f.authorKeyDigest, 48);
  put(0x140, f.reportId, 32);
  put(0x160, f.reportIdMa, 32);
  put(0x180, f.reportedTcb, 8);
  bytes[0x188] = f.cpuidFamily;
  bytes[0x189] = f.cpuidModel;
  bytes[0x18a] = f.cpuidStepping;
  put(0x1a0, f.chipId, 64);
  put(0x1e0, f.committedTcb, 8);
  bytes[0x1e8] = f.currentBuild;
  bytes[0x1e9] = f.currentMinor;
  bytes[0x1ea] = f.currentMajor;
  bytes[0x1ec] = f.committedBuild;
  bytes[0x1ed] = f.committedMinor;
  bytes[0x1ee] = f.committedMajor;
  put(0x1f0, f.launchTcb, 8);
  return bytes;
}

/** Signs a report in place with a VCEK (ECDSA P-384/SHA-384, r and s little-endian in 72 bytes). */
export function signReport(report: Uint8Array, vcek: KeyObject): void {
  const signature = sign("sha384", report.subarray(0, 0x2a0), {
    key: vcek,
    dsaEncoding: "ieee-p1363",
  });
  report.fill(0, 0x2a0);
  report.set(Buffer.from(signature.subarray(0, 48)).reverse(), 0x2a0);
  report.set(Buffer.from(signature.subarray(48, 96)).reverse(), 0x2e8);
}

// ---------------------------------------------------------------------------------------------
// UVM endorsements

/** The EKU CCF's first default UVM root names (Confidential AKS/ACI container platform). */
export const UVM_EKU = "1.3.6.1.4.1.311.76.59.1.2";

export interface UvmOptions {
  /** Feed in the protected header (default "ContainerPlat-AMD-UVM"). */
  feed?: string;
  /** Guest SVN in the payload (default "101"); a number is written as a JSON number. */
  svn?: string | number;
  /** The launch measurement in the payload, hex (default: the report's). */
  measurement?: string;
  /** ES384 with the EC leaf (default) or PS384 with an RSA leaf. */
  alg?: "ES384" | "PS384";
  /** EKU of the leaf certificate (default UVM_EKU). */
  eku?: string;
  /** `iss` in the protected header (default: the did:x509 of the generated chain). */
  iss?: string;
  /** Content type in the protected header (default "application/json"). */
  contentType?: string;
  /** The payload bytes as sent (default: the JSON built from svn and measurement). */
  payload?: Uint8Array;
}

export interface UvmEndorsementsBundle {
  readonly bytes: Uint8Array;
  /** The did:x509 of the generated chain (with the eku policy). */
  readonly did: string;
  readonly feed: string;
  readonly svn: string;
  readonly chain: readonly Uint8Array[];
}

const cbor = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false });

const UVM_CA_NAME: NameSpec = [[OID_NAME.CN, "Cleanroom test UVM CA"]];
let uvmCa: Promise<{ root: Uint8Array; ecLeafKey: KeyObject }> | undefined;
/** Leaf certificates by algorithm and EKU. */
const uvmLeaves = new Map<string, Promise<Uint8Array>>();

/** COSE_Sign1 UVM endorsements signed by a generated did:x509 chain (leaf, root). */
export async function makeUvmEndorsements(
  launchMeasurement: Uint8Array,
  options: UvmOptions = {},
): Promise<UvmEndorsementsBundle> {
  const keys = await snpTestKeys();
  const alg = options.alg ?? "ES384";
  const eku = options.eku ?? UVM_EKU;
  uvmCa ??= (async () => ({
    root: await makeCertificate({
      subject: UVM_CA_NAME,
      issuer: UVM_CA_NAME,
      key: keys.uvmRoot,
      signer: keys.uvmRoot,
      ca: true,
    }),
    ecLeafKey: (await generateKeyPairAsync("ec", { namedCurve: "P-384" })).privateKey,
  }))();
  const { root, ecLeafKey } = await uvmCa;
  const leafKey = alg === "PS384" ? keys.uvmRsaLeaf : ecLeafKey;
  const leafId = `${alg}|${eku}`;
  let leafPromise = uvmLeaves.get(leafId);
  if (!leafPromise) {
    leafPromise = makeCertificate({
      subject: [[OID_NAME.CN, "Cleanroom test UVM signer"]],
      issuer: UVM_CA_NAME,
      key: leafKey,
      signer: keys.uvmRoot,
      keyUsage: x509.KeyUsageFlags.digitalSignature,
      extendedKeyUsage: [eku],
      serial: 2,
    });
    uvmLeaves.set(leafId, leafPromise);
  }
  const leaf = await leafPromise;
  const did = `did:x509:0:sha256:${createHash("sha256").update(root).digest("base64url")}::eku:${eku}`;
  const feed = options.feed ?? "ContainerPlat-AMD-UVM";
  const svn = options.svn ?? "101";
  const payload =
    options.payload ??
    new TextEncoder().encode(
      JSON.stringify({
        "x-ms-sevsnpvm-guestsvn": svn,
        "x-ms-sevsnpvm-launchmeasurement":
          options.measurement ?? Buffer.from(launchMeasurement).toString("hex"),
      }),
    );
  const protectedBytes = Uint8Array.from(
    cbor.encode(
      new Map<number | string, unknown>([
        [1, alg === "PS384" ? -38 : -35],
        [3, options.contentType ?? "application/json"],
        [33, [leaf, root]],
        ["iss", options.iss ?? did],
        ["feed", feed],
      ]),
    ),
  );
  const toBeSigned = sigStructure(protectedBytes, payload);
  const signature =
    alg === "PS384"
      ? sign("sha384", toBeSigned, {
          key: leafKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 48,
        })
      : sign("sha384", toBeSigned, { key: leafKey, dsaEncoding: "ieee-p1363" });
  const bytes = Uint8Array.from(
    cbor.encode(new Tag([protectedBytes, new Map(), payload, new Uint8Array(signature)], 18)),
  );
  return { bytes, did, feed, svn: String(svn), chain: [leaf, root] };
}

// ---------------------------------------------------------------------------------------------
// Evidence

export interface SnpEvidenceOptions {
  product?: SnpProduct;
  measurement?: Uint8Array;
  reportData?: Uint8Array;
  hostData?: Uint8Array;
  /** The TCB in the report (REPORTED_TCB). */
  reportedTcb?: TcbParts;
  /** The TCB the VCEK certifies (default: the reported one); null leaves the extensions out. */
  vcekTcb?: TcbParts | null;
  chipId?: Uint8Array;
  /** The chip ID the VCEK certifies (default: the report's); null leaves the extension out. */
  vcekChipId?: Uint8Array | null;
  /** Any report field; applied after the options above. */
  fields?: Partial<ReportFields>;
  /** Who signs the ASK certificate (default the ARK). */
  askSignedBy?: "ark" | "rogue";
  /** Who signs the VCEK certificate (default the ASK). */
  vcekSignedBy?: "ask" | "rogue";
  /** The VCEK's validity period (default: from a day ago for ten years). */
  vcekValidity?: { notBefore: Date; notAfter: Date };
  /** The key in the ARK certificate (default the trusted ARK key). */
  arkKey?: "ark" | "rogue";
  /** Include UVM endorsements (over the report's measurement unless overridden). */
  uvm?: UvmOptions;
}

export interface SnpEvidence {
  /** The signed 1184-byte report. */
  readonly evidence: Uint8Array;
  /** VCEK, ASK, ARK as one PEM bundle, and the same as bytes. */
  readonly endorsements: string;
  readonly endorsementsBytes: Uint8Array;
  readonly pem: { readonly vcek: string; readonly ask: string; readonly ark: string };
  readonly uvmEndorsements?: Uint8Array;
  readonly uvm?: UvmEndorsementsBundle;
  /** Trusts the generated ARK for the product and the generated UVM issuer (svn >= 1). */
  readonly trust: SnpTrust;
  readonly fields: ReportFields;
  readonly product: SnpProduct;
  /** The VCEK's private key, to sign altered reports. */
  readonly vcekKey: KeyObject;
}

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed + i * 7) & 0xff);
}

/** DER INTEGER for 0..255 (AMD's security patch level extensions). */
function integerExtension(oid: string, value: number): x509.Extension {
  return extension(oid, false, Uint8Array.from(value < 0x80 ? [2, 1, value] : [2, 2, 0, value]));
}

/** DER IA5String of a short ASCII text. */
function ia5Extension(oid: string, text: string): x509.Extension {
  return extension(oid, false, Uint8Array.from([0x16, text.length, ...Buffer.from(text, "ascii")]));
}

const AMD_VCEK = "1.3.6.1.4.1.3704.1";

function vcekExtensions(product: SnpProduct, tcb: TcbParts | null, chipId: Uint8Array | null) {
  const out: x509.Extension[] = [
    integerExtension(`${AMD_VCEK}.1`, 1),
    ia5Extension(`${AMD_VCEK}.2`, PRODUCT[product].kdsName),
  ];
  if (tcb) {
    out.push(
      integerExtension(`${AMD_VCEK}.3.1`, tcb.bootLoader),
      integerExtension(`${AMD_VCEK}.3.2`, tcb.tee),
      integerExtension(`${AMD_VCEK}.3.3`, tcb.snp),
      integerExtension(`${AMD_VCEK}.3.4`, 0),
      integerExtension(`${AMD_VCEK}.3.5`, 0),
      integerExtension(`${AMD_VCEK}.3.6`, 0),
      integerExtension(`${AMD_VCEK}.3.7`, 0),
      integerExtension(`${AMD_VCEK}.3.8`, tcb.microcode),
    );
    if (product === "Turin") out.push(integerExtension(`${AMD_VCEK}.3.9`, tcb.fmc ?? 0));
  }
  if (chipId) out.push(extension(`${AMD_VCEK}.4`, false, chipId));
  return out;
}

const caCache = new Map<string, { ark: Uint8Array; ask: Uint8Array }>();

/** Generates signed evidence and the trust that accepts it. */
export async function generateSnpEvidence(options: SnpEvidenceOptions = {}): Promise<SnpEvidence> {
  const keys = await snpTestKeys();
  const product = options.product ?? "Milan";
  const cpu = PRODUCT[product];
  const reportedTcb = options.reportedTcb ?? DEFAULT_TCB[product];
  const chipId = options.chipId ?? pattern(64, 0xc0);

  const fields: ReportFields = {
    version: 3,
    guestSvn: 7,
    policy: 0x30000n | (1n << 8n) | 0x55n, // abi 1.85, SMT allowed, reserved bit 17 set
    familyId: pattern(16, 0x10),
    imageId: pattern(16, 0x20),
    vmpl: 0,
    signatureAlgo: 1,
    platformVersion: tcbBytes(reportedTcb, product),
    platformInfo: 0b01n,
    flags: 0,
    reportData: options.reportData ?? pattern(64, 0x50),
    measurement: options.measurement ?? pattern(48, 0x90),
    hostData: options.hostData ?? pattern(32, 0xc0),
    idKeyDigest: pattern(48, 0xe0),
    authorKeyDigest: pattern(48, 0x11),
    reportId: pattern(32, 0x14),
    reportIdMa: pattern(32, 0x16),
    reportedTcb: tcbBytes(reportedTcb, product),
    cpuidFamily: cpu.family,
    cpuidModel: cpu.model,
    cpuidStepping: cpu.stepping,
    chipId,
    committedTcb: tcbBytes(reportedTcb, product),
    currentBuild: 21,
    currentMinor: 55,
    currentMajor: 1,
    committedBuild: 20,
    committedMinor: 54,
    committedMajor: 1,
    launchTcb: tcbBytes(reportedTcb, product),
    ...options.fields,
  };

  // ARK and ASK certificates (cached per product and signer choice).
  const arkKey = options.arkKey === "rogue" ? keys.rogue : keys.ark;
  const askSigner = options.askSignedBy === "rogue" ? keys.rogue : arkKey;
  const cacheKey = `${product}|${options.arkKey ?? "ark"}|${options.askSignedBy ?? "ark"}`;
  let cas = caCache.get(cacheKey);
  if (!cas) {
    const arkName = amdName(`ARK-${product}`);
    const askName = amdName(`SEV-${product}`);
    cas = {
      ark: await makeCertificate({
        subject: arkName,
        issuer: arkName,
        key: arkKey,
        signer: arkKey,
        ca: true,
        serial: 1,
      }),
      ask: await makeCertificate({
        subject: askName,
        issuer: arkName,
        key: keys.ask,
        signer: askSigner,
        issuerKey: arkKey,
        ca: true,
        serial: 2,
      }),
    };
    caCache.set(cacheKey, cas);
  }

  const vcekKey = (await generateKeyPairAsync("ec", { namedCurve: "P-384" })).privateKey;
  const vcekTcb = options.vcekTcb === undefined ? reportedTcb : options.vcekTcb;
  const vcekChipId = options.vcekChipId === undefined ? fields.chipId : options.vcekChipId;
  const vcek = await makeCertificate({
    subject: amdName("SEV-VCEK"),
    issuer: amdName(`SEV-${product}`),
    key: vcekKey,
    signer: options.vcekSignedBy === "rogue" ? keys.rogue : keys.ask,
    issuerKey: keys.ask,
    serial: 3,
    notBefore: options.vcekValidity?.notBefore,
    notAfter: options.vcekValidity?.notAfter,
    extraExtensions: vcekExtensions(product, vcekTcb, vcekChipId),
  });

  const evidence = layoutReport(fields);
  signReport(evidence, vcekKey);

  const pem = { vcek: toPem(vcek), ask: toPem(cas.ask), ark: toPem(cas.ark) };
  const endorsements = pem.vcek + pem.ask + pem.ark;
  const uvm = options.uvm ? await makeUvmEndorsements(fields.measurement, options.uvm) : undefined;
  const trust: SnpTrust = {
    amdRootKeys: { [product]: keys.arkPublicPem },
    uvmRootsOfTrust: uvm ? [{ did: uvm.did, feed: uvm.feed, svn: "1" }] : [],
  };
  return {
    evidence,
    endorsements,
    endorsementsBytes: new TextEncoder().encode(endorsements),
    pem,
    uvmEndorsements: uvm?.bytes,
    uvm,
    trust,
    fields,
    product,
    vcekKey,
  };
}

/** A fresh ArrayBuffer holding exactly these bytes (what a guest passes). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
