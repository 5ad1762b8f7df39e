/**
 * A participant's identity, made locally: an EC P-384 private key and a self-signed certificate
 * for it (ECDSA with SHA-384), the kind CCF members and users present. The private key is made on
 * this machine and never leaves it; the certificate is what gets registered with the service.
 */
import "reflect-metadata";
import { createPrivateKey, webcrypto, X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { certificateId } from "./cose.js";

// @peculiar/x509 needs the Reflect metadata polyfill (imported above) and a WebCrypto provider.
x509.cryptoProvider.set(webcrypto);

const EC_P384 = { name: "ECDSA", namedCurve: "P-384" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-384" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface Identity {
  /** The certificate, PEM. */
  certPem: string;
  /** The PKCS#8 private key, PEM. */
  privateKeyPem: string;
  /** The id CCF gives this certificate: lower-hex SHA-256 of its DER bytes. */
  id: string;
}

export interface IdentityOptions {
  /** Subject common name, e.g. the persona's name. */
  commonName: string;
  /** How long the certificate is valid. Default 365 days. */
  validityDays?: number;
}

/** A new EC P-384 key and a self-signed certificate for it. */
export async function generateIdentity(options: IdentityOptions): Promise<Identity> {
  const keys = await webcrypto.subtle.generateKey(EC_P384, true, ["sign", "verify"]);
  const now = Date.now();
  const days = options.validityDays ?? 365;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [options.commonName] }],
    keys,
    signingAlgorithm: SIGNING,
    // Back-dated a day so that a peer whose clock is a little slow accepts it at once.
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + days * DAY_MS),
    extensions: [await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n?$/, "\n")}-----END PRIVATE KEY-----\n`;
  const certPem = cert.toString("pem") + "\n";
  return { certPem, privateKeyPem, id: certificateId(certPem) };
}

/** Whether `privateKeyPem` is the key of the certificate `certPem`. */
export function keyMatchesCertificate(certPem: string, privateKeyPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(privateKeyPem));
  } catch {
    return false;
  }
}

/** The certificate's id (lower-hex SHA-256 of its DER), or throws if it is not a PEM certificate. */
export function identityId(certPem: string): string {
  return certificateId(certPem);
}
