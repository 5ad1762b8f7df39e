/**
 * X.509 certificates as the SEV-SNP and UVM endorsement checks need them.
 *
 * Two well-kept libraries share the work: node:crypto's `X509Certificate` (OpenSSL) parses the
 * certificate and does everything cryptographic — signatures, issuer/subject matching
 * (X509_check_issued), public keys — synchronously, as a host function called from QuickJS must;
 * @peculiar/x509 (through the sandbox's `x509.ts`) decodes the same DER into the extensions and
 * names OpenSSL does not expose to Node (AMD's VCEK extensions, key usage bits, path length,
 * subject attributes). No DER is read by hand here.
 */
import { X509Certificate, type KeyObject } from "node:crypto";
import { x509 as peculiar } from "../../x509.js";

export const KeyUsageFlags = peculiar.KeyUsageFlags;

const OID = {
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  nameConstraints: "2.5.29.30",
  certificatePolicies: "2.5.29.32",
  policyMappings: "2.5.29.33",
  policyConstraints: "2.5.29.36",
  inhibitAnyPolicy: "2.5.29.54",
} as const;

/** A certificate that could not be parsed; the message reads like CCF's (OpenSSL) one. */
export class CertificateError extends Error {}

export interface CertificateExtension {
  readonly critical: boolean;
  /** The extnValue octets. */
  readonly value: Uint8Array;
}

/** Critical extensions OpenSSL's path validation understands; any other critical one fails it. */
const UNDERSTOOD_CRITICAL = new Set<string>(Object.values(OID));

export class Certificate {
  readonly der: Uint8Array;
  private readonly parsed: peculiar.X509Certificate;
  private readonly extensionList: ReadonlyArray<{ oid: string } & CertificateExtension>;

  private constructor(readonly x509: X509Certificate) {
    this.der = new Uint8Array(x509.raw);
    this.parsed = new peculiar.X509Certificate(this.der);
    this.extensionList = this.parsed.extensions.map((extension) => ({
      oid: extension.type,
      critical: extension.critical,
      value: new Uint8Array(extension.value),
    }));
  }

  /** Parses PEM text or DER bytes; throws `CertificateError`. */
  static parse(input: string | Uint8Array): Certificate {
    let node: X509Certificate;
    try {
      node = new X509Certificate(typeof input === "string" ? input : Buffer.from(input));
    } catch (error) {
      throw new CertificateError(`OpenSSL error: ${(error as Error).message}`, { cause: error });
    }
    try {
      return new Certificate(node);
    } catch (error) {
      throw new CertificateError(`malformed X.509 certificate: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  get publicKey(): KeyObject {
    return this.x509.publicKey;
  }

  get notBefore(): Date {
    return this.parsed.notBefore;
  }

  get notAfter(): Date {
    return this.parsed.notAfter;
  }

  get selfIssued(): boolean {
    return this.x509.checkIssued(this.x509);
  }

  /** The extension with this OID; undefined if absent. Duplicates are reported by pathProblem. */
  extension(oid: string): CertificateExtension | undefined {
    return this.extensionList.find((e) => e.oid === oid);
  }

  get hasDuplicateExtensions(): boolean {
    return new Set(this.extensionList.map((e) => e.oid)).size !== this.extensionList.length;
  }

  /** The OID of a critical extension OpenSSL would not understand, if any. */
  get unhandledCriticalExtension(): string | undefined {
    return this.extensionList.find((e) => e.critical && !UNDERSTOOD_CRITICAL.has(e.oid))?.oid;
  }

  basicConstraints(): { ca: boolean; pathLength?: number; critical: boolean } | undefined {
    const extension = this.parsed.getExtension(peculiar.BasicConstraintsExtension);
    if (!extension) return undefined;
    return { ca: extension.ca, pathLength: extension.pathLength, critical: extension.critical };
  }

  /** The key usage bits (`KeyUsageFlags`); undefined when the extension is absent. */
  keyUsage(): number | undefined {
    return this.parsed.getExtension(peculiar.KeyUsagesExtension)?.usages;
  }

  /** Extended key usage OIDs (empty when the extension is absent). */
  extendedKeyUsage(): string[] {
    const extension = this.parsed.getExtension(peculiar.ExtendedKeyUsageExtension);
    return extension ? extension.usages.map(String) : [];
  }

  /** Subject alternative names of the kinds did:x509 matches on. */
  subjectAltNames(): Array<{ type: "dns" | "email" | "uri"; value: string }> {
    const extension = this.parsed.getExtension(peculiar.SubjectAlternativeNameExtension);
    if (!extension) return [];
    const kinds = { dns: "dns", email: "email", url: "uri" } as const;
    return extension.names.items.flatMap((name) => {
      const type = kinds[name.type as keyof typeof kinds];
      return type ? [{ type, value: name.value }] : [];
    });
  }

  /** The values of the subject's attributes of this type (an OID). */
  subjectValues(oid: string): string[] {
    return this.parsed.subjectName.getField(oid);
  }

  get hasSubjectKeyIdentifier(): boolean {
    return this.extension(OID.subjectKeyIdentifier) !== undefined;
  }

  /**
   * OpenSSL's X509_check_ca, for the certificates met here: basicConstraints with cA set. (OpenSSL
   * also takes a self-signed X.509 v1 certificate as a CA; neither AMD nor Microsoft issue those.)
   */
  get isCa(): boolean {
    return this.basicConstraints()?.ca === true;
  }

  isValidAt(when: Date): boolean {
    const t = when.getTime();
    return this.notBefore.getTime() <= t && t <= this.notAfter.getTime();
  }

  /** Whether this certificate's signature verifies with `key`. */
  isSignedBy(key: KeyObject): boolean {
    try {
      return this.x509.verify(key);
    } catch {
      return false;
    }
  }
}

/**
 * Splits a PEM bundle the way CCF does (`crypto::split_x509_cert_bundle`): one piece per
 * `-----END CERTIFICATE-----`, leading (C locale) whitespace trimmed; text after the last one is
 * ignored.
 */
export function splitPemBundle(text: string): string[] {
  const separator = "-----END CERTIFICATE-----";
  const pieces: string[] = [];
  let start = 0;
  let at = text.indexOf(separator);
  while (at !== -1) {
    while (start < at && /[ \t\n\v\f\r]/.test(text[start]!)) start++;
    pieces.push(text.slice(start, at + separator.length));
    start = at + separator.length;
    at = text.indexOf(separator, start);
  }
  return pieces;
}

export interface PathOptions {
  /** Check every certificate's validity period at this time; omitted, time is not checked. */
  readonly at?: Date;
  /**
   * Extra checks in the spirit of OpenSSL's X509_V_FLAG_X509_STRICT and CHECK_SS_SIGNATURE, as
   * didx509cpp sets them: CA certificates need a critical basicConstraints, a keyUsage extension
   * and a subject key identifier, a self-issued anchor's own signature must verify, and keys must
   * reach OpenSSL's security level 2 (RSA >= 2048 bits, EC >= 224 bits).
   */
  readonly strict?: boolean;
}

export interface PathProblem {
  /** OpenSSL-like reason. */
  readonly reason: string;
  /** Index in the chain (0 = leaf), as OpenSSL's error depth. */
  readonly depth: number;
}

function weakKey(cert: Certificate): boolean {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss")
    return (details?.modulusLength ?? 0) < 2048;
  if (key.asymmetricKeyType === "ec") {
    const bits: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };
    return (bits[details?.namedCurve ?? ""] ?? 0) < 224;
  }
  return false;
}

/**
 * Validates the path `chain[0] ← chain[1] ← … ← chain[n-1]` (leaf first), where the last
 * certificate is the trust anchor: each certificate is issued by the next (names and key
 * identifiers as OpenSSL's X509_check_issued sees them) and signed with its key, every issuer is a
 * CA allowed to sign certificates within its path length, no certificate carries a critical
 * extension OpenSSL would not understand, and (optionally) all are valid at a given time.
 * Returns the first problem found, or undefined when the path is valid.
 */
export function pathProblem(
  chain: readonly Certificate[],
  options: PathOptions = {},
): PathProblem | undefined {
  const last = chain.length - 1;
  for (let depth = 0; depth <= last; depth++) {
    const cert = chain[depth]!;
    const problem = (reason: string): PathProblem => ({ reason, depth });
    if (cert.hasDuplicateExtensions)
      return problem("invalid or inconsistent certificate extension");
    if (cert.unhandledCriticalExtension !== undefined)
      return problem("unhandled critical extension");
    if (options.at && cert.notBefore.getTime() > options.at.getTime())
      return problem("certificate is not yet valid");
    if (options.at && cert.notAfter.getTime() < options.at.getTime())
      return problem("certificate has expired");
    if (options.strict && weakKey(cert))
      return problem(depth === 0 ? "EE certificate key too weak" : "CA certificate key too weak");

    if (depth > 0) {
      if (!cert.isCa) return problem("invalid CA certificate");
      const usage = cert.keyUsage();
      if (usage !== undefined && (usage & KeyUsageFlags.keyCertSign) === 0)
        return problem("key usage does not include certificate signing");
      const pathLength = cert.basicConstraints()?.pathLength;
      // CAs below this one on the path (the leaf does not count).
      if (pathLength !== undefined && depth - 1 > pathLength)
        return problem("path length constraint exceeded");
      if (options.strict) {
        if (cert.basicConstraints()?.critical === false)
          return problem("basic constraints of CA cert not marked critical");
        if (usage === undefined) return problem("CA cert does not include key usage extension");
        if (!cert.hasSubjectKeyIdentifier) return problem("subject key identifier missing");
      }
      const subject = chain[depth - 1]!;
      if (!subject.x509.checkIssued(cert.x509))
        return { reason: "unable to get local issuer certificate", depth: depth - 1 };
      if (!subject.isSignedBy(cert.publicKey))
        return { reason: "certificate signature failure", depth: depth - 1 };
    }
  }
  const anchor = chain[last];
  if (options.strict && anchor && anchor.selfIssued && !anchor.isSignedBy(anchor.publicKey))
    return { reason: "certificate signature failure", depth: last };
  return undefined;
}
