/** Test helpers for the ledger's tests (not used by the ledger itself). */
import { KeyObject, createHash, randomBytes, webcrypto } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WriteSet } from "../../sandbox/kv/store.js";
import { x509 } from "../../sandbox/x509.js";
import type { LedgerTransaction } from "../../sandbox/ledger/entry.js";

const EC_P384 = { name: "ECDSA", namedCurve: "P-384" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-384" } as const;

export interface TestIdentities {
  serviceCertPem: string;
  node: { nodeId: string; certPem: string; privateKey: KeyObject };
  /** A node certificate for the same key, self-signed: not endorsed by the service. */
  rogueCertPem: string;
}

/** A service CA and a node certificate it issued, EC P-384 as CCF's, with @peculiar/x509. */
export async function makeIdentities(): Promise<TestIdentities> {
  const serviceKeys = await webcrypto.subtle.generateKey(EC_P384, true, ["sign", "verify"]);
  const nodeKeys = await webcrypto.subtle.generateKey(EC_P384, true, ["sign", "verify"]);
  const notBefore = new Date(Date.now() - 86_400_000);
  const notAfter = new Date(Date.now() + 86_400_000);
  const service = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=CCF Service",
    keys: serviceKeys,
    signingAlgorithm: SIGNING,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    notBefore,
    notAfter,
  });
  const node = await x509.X509CertificateGenerator.create({
    subject: "CN=CCF Node",
    issuer: service.subject,
    publicKey: nodeKeys.publicKey,
    signingKey: serviceKeys.privateKey,
    signingAlgorithm: SIGNING,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
    notBefore,
    notAfter,
  });
  const rogue = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=CCF Node",
    keys: nodeKeys,
    signingAlgorithm: SIGNING,
    notBefore,
    notAfter,
  });
  const spki = Buffer.from(await webcrypto.subtle.exportKey("spki", nodeKeys.publicKey));
  return {
    serviceCertPem: service.toString("pem"),
    node: {
      nodeId: createHash("sha256").update(spki).digest("hex"),
      certPem: node.toString("pem"),
      privateKey: KeyObject.from(nodeKeys.privateKey),
    },
    rogueCertPem: rogue.toString("pem"),
  };
}

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "ledger-test-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const key = (text: string) => Buffer.from(text, "utf8").toString("latin1");
const bytes = (text: string) => new Uint8Array(Buffer.from(text, "utf8"));

/**
 * A varied transaction: public and private tables, removals, binary keys, empty values, and a
 * claims digest every seventh transaction. Values carry `marker` so tests can find them on disk.
 */
export function sampleTransaction(view: number, seqno: number): LedgerTransaction {
  const writes: WriteSet = new Map();
  writes.set(
    "public:app.records",
    new Map<string, Uint8Array | undefined>([
      [key(`pub-${seqno}`), bytes(`PUBLIC-VALUE-${seqno}`)],
      [key(`gone-${seqno - 1}`), undefined],
    ]),
  );
  writes.set(
    "app.secrets",
    new Map<string, Uint8Array | undefined>([
      [key(`priv-${seqno}`), bytes(`PRIVATE-VALUE-${seqno}`)],
      [String.fromCharCode(0, 255, seqno % 256), new Uint8Array(0)],
    ]),
  );
  if (seqno % 3 === 0) {
    writes.set("private.removals", new Map([[key(`r${seqno}`), undefined]]));
  }
  const tx: LedgerTransaction = { view, seqno, writes };
  if (seqno % 7 === 0)
    tx.claimsDigest = new Uint8Array(createHash("sha256").update(`claim ${seqno}`).digest());
  return tx;
}

export function randomSecretBytes(): Buffer {
  return randomBytes(32);
}
