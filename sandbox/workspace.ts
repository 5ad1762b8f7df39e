/**
 * The sandbox workspace, laid out like CCF's sandbox so its tooling habits carry over:
 * `service_cert.pem` (the CA clients pin), `member<i>_cert.pem` / `member<i>_privk.pem`,
 * `user<i>_cert.pem` / `user<i>_privk.pem` (EC P-384, as CCF's keygenerator.sh makes them).
 *
 * Unlike CCF, the service and node private keys are kept on disk (`node/`, mode 0600) so that a
 * restarted sandbox keeps its identity; a real CCF service never persists them.
 * Existing keys and certificates are reused; missing ones are generated.
 */
import { KeyObject, X509Certificate, webcrypto } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { x509 } from "./x509.js";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export interface Identity {
  certPem: string;
  privateKeyPem: string;
}

export interface Workspace {
  dir: string;
  service: Identity;
  node: Identity;
  members: Identity[];
  users: Identity[];
}

export interface WorkspaceOptions {
  members: number;
  users: number;
  /** Host names and addresses the node's TLS certificate must be valid for. */
  hosts: string[];
}

export class WorkspaceError extends Error {}

const EC_P384 = { name: "ECDSA", namedCurve: "P-384" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-384" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
const VALIDITY_DAYS = 365;

async function newKeyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_P384, true, ["sign", "verify"]);
}

function privateKeyPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: "pkcs8", format: "pem" }) as string;
}

async function importKeyPair(pem: string): Promise<CryptoKeyPair> {
  const der = x509.PemConverter.decode(pem)[0];
  if (!der) throw new WorkspaceError("not a PEM private key");
  const privateKey = await webcrypto.subtle.importKey("pkcs8", der, EC_P384, true, ["sign"]);
  const jwk = await webcrypto.subtle.exportKey("jwk", privateKey);
  delete jwk.d;
  jwk.key_ops = ["verify"];
  const publicKey = await webcrypto.subtle.importKey("jwk", jwk, EC_P384, true, ["verify"]);
  return { privateKey, publicKey };
}

function validity(): { notBefore: Date; notAfter: Date } {
  // Back-dated by a day so that clients with a slightly slow clock accept fresh certificates.
  const now = Date.now();
  return { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + VALIDITY_DAYS * DAY_MS) };
}

async function selfSigned(name: string, keys: CryptoKeyPair, ca: boolean): Promise<string> {
  const extensions: x509.Extension[] = [
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (ca) {
    extensions.push(
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    signingAlgorithm: SIGNING,
    extensions,
    ...validity(),
  });
  return cert.toString("pem") + "\n";
}

/** The node's TLS certificate, endorsed by the service identity as on CCF. */
async function nodeCertificate(
  nodeKeys: CryptoKeyPair,
  serviceKeys: CryptoKeyPair,
  serviceCertPem: string,
  hosts: string[],
): Promise<string> {
  const serviceCert = new x509.X509Certificate(serviceCertPem);
  const names = hosts.map((host) =>
    isIP(host) ? { type: "ip" as const, value: host } : { type: "dns" as const, value: host },
  );
  const cert = await x509.X509CertificateGenerator.create({
    subject: "CN=CCF Node",
    issuer: serviceCert.subject,
    publicKey: nodeKeys.publicKey,
    signingKey: serviceKeys.privateKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(nodeKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(serviceKeys.publicKey),
    ],
    ...validity(),
  });
  return cert.toString("pem") + "\n";
}

/** A new EC P-384 key and a self-signed certificate for it, as CCF's keygenerator.sh makes them. */
export async function newSelfSignedIdentity(name: string): Promise<Identity> {
  const keys = await newKeyPair();
  return {
    certPem: await selfSigned(name, keys, false),
    privateKeyPem: privateKeyPem(keys.privateKey),
  };
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** A member's or user's key and certificate: reused if both files exist, generated otherwise. */
async function participant(dir: string, name: string): Promise<Identity> {
  const certPath = join(dir, `${name}_cert.pem`);
  const keyPath = join(dir, `${name}_privk.pem`);
  const certPem = readIfExists(certPath);
  const keyPem = readIfExists(keyPath);
  if (certPem !== undefined && keyPem !== undefined) {
    checkCertificate(certPem, certPath);
    return { certPem, privateKeyPem: keyPem };
  }
  if (certPem !== undefined) {
    // A certificate alone is enough to register the participant: its key may live elsewhere.
    checkCertificate(certPem, certPath);
    return { certPem, privateKeyPem: "" };
  }
  const identity = await newSelfSignedIdentity(`CN=${name}`);
  writePrivate(keyPath, identity.privateKeyPem);
  writeFileSync(certPath, identity.certPem);
  return identity;
}

function checkCertificate(pem: string, path: string): void {
  try {
    new X509Certificate(pem);
  } catch {
    throw new WorkspaceError(`${path} is not a PEM certificate`);
  }
}

async function serviceIdentity(dir: string): Promise<{ identity: Identity; keys: CryptoKeyPair }> {
  const certPath = join(dir, "service_cert.pem");
  const keyPath = join(dir, "node", "service_privk.pem");
  const certPem = readIfExists(certPath);
  const keyPem = readIfExists(keyPath);
  if (certPem !== undefined && keyPem !== undefined) {
    return { identity: { certPem, privateKeyPem: keyPem }, keys: await importKeyPair(keyPem) };
  }
  if (certPem !== undefined) {
    throw new WorkspaceError(
      `${certPath} exists but its private key ${keyPath} does not: use a new workspace`,
    );
  }
  const keys = await newKeyPair();
  const identity = {
    certPem: await selfSigned("CN=CCF Service", keys, true),
    privateKeyPem: privateKeyPem(keys.privateKey),
  };
  writePrivate(keyPath, identity.privateKeyPem);
  writeFileSync(certPath, identity.certPem);
  return { identity, keys };
}

export async function prepareWorkspace(dir: string, options: WorkspaceOptions): Promise<Workspace> {
  mkdirSync(join(dir, "node"), { recursive: true, mode: 0o700 });
  const service = await serviceIdentity(dir);

  const nodeKeyPath = join(dir, "node", "node_privk.pem");
  const existingNodeKey = readIfExists(nodeKeyPath);
  const nodeKeys = existingNodeKey ? await importKeyPair(existingNodeKey) : await newKeyPair();
  const nodeKeyPem = existingNodeKey ?? privateKeyPem(nodeKeys.privateKey);
  if (!existingNodeKey) writePrivate(nodeKeyPath, nodeKeyPem);
  // Re-issued at every start: cheap, and always valid for today's host names.
  const nodeCertPem = await nodeCertificate(
    nodeKeys,
    service.keys,
    service.identity.certPem,
    options.hosts,
  );
  writeFileSync(join(dir, "node", "node_cert.pem"), nodeCertPem);

  const members: Identity[] = [];
  for (let i = 0; i < options.members; i++) members.push(await participant(dir, `member${i}`));
  const users: Identity[] = [];
  for (let i = 0; i < options.users; i++) users.push(await participant(dir, `user${i}`));

  return {
    dir,
    service: service.identity,
    node: { certPem: nodeCertPem, privateKeyPem: nodeKeyPem },
    members,
    users,
  };
}
