/**
 * Test fixtures for the authentication policies: real certificates (@peculiar/x509 over
 * WebCrypto) and governance tables in a real `Store`, read as the node reads them, with JWT keys
 * written by the governance effects that `set_jwt_issuer` uses.
 */
import "reflect-metadata";
import { KeyObject, createHash, webcrypto, type JsonWebKey } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { Tables, stringKey } from "../../sandbox/enclave/tables.js";
import { GovernanceEffects } from "../../sandbox/gov/effects.js";
import { Store, bytesToKey } from "../../sandbox/kv/store.js";
import { Transaction } from "../../sandbox/kv/tx.js";
import type { HostValue } from "../../sandbox/quickjs/marshal.js";
import type {
  AuthRequest,
  GovReader,
  Identity,
  PolicyContext,
  PolicyOutcome,
} from "../../sandbox/auth/types.js";

x509.cryptoProvider.set(webcrypto as unknown as webcrypto.Crypto);

export type Curve = "P-256" | "P-384" | "P-521";

const HASH: Record<Curve, string> = { "P-256": "SHA-256", "P-384": "SHA-384", "P-521": "SHA-512" };
const DAY_MS = 24 * 60 * 60 * 1000;

export interface TestIdentity {
  certPem: string;
  der: Uint8Array;
  /** Lower-hex SHA-256 of the DER. */
  id: string;
  privateKey: KeyObject;
  privateKeyPem: string;
}

export interface IdentityOptions {
  curve?: Curve;
  name?: string;
  notBefore?: Date;
  notAfter?: Date;
}

/** A new EC key and a self-signed certificate, valid from a day ago for a year by default. */
export async function makeIdentity(options: IdentityOptions = {}): Promise<TestIdentity> {
  const curve = options.curve ?? "P-384";
  const algorithm = { name: "ECDSA", namedCurve: curve };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: options.name ?? "CN=test",
    keys,
    signingAlgorithm: { name: "ECDSA", hash: HASH[curve] },
    notBefore: options.notBefore ?? new Date(now - DAY_MS),
    notAfter: options.notAfter ?? new Date(now + 365 * DAY_MS),
  });
  const der = new Uint8Array(cert.rawData);
  const privateKey = KeyObject.from(keys.privateKey);
  return {
    certPem: cert.toString("pem") + "\n",
    der,
    id: createHash("sha256").update(der).digest("hex"),
    privateKey,
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  };
}

/** Governance tables in a real store, and the reader the node gives `authenticate`. */
export class TestGov {
  readonly store = new Store();

  readonly reader: GovReader = {
    get: (table: string, key: string) =>
      this.store.current.get(table, bytesToKey(Buffer.from(key, "utf8")))?.value,
  };

  put(table: string, key: string, value: string | Uint8Array | undefined): void {
    const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
    this.store.commit(new Map([[table, new Map([[stringKey(key), bytes]])]]));
  }

  /** As `set_user`: the PEM in `users.certs`, `{user_data}` in `users.info`. */
  addUser(identity: TestIdentity, userData?: unknown): void {
    this.put(Tables.usersCerts, identity.id, identity.certPem);
    const info = userData === undefined ? {} : { user_data: userData };
    this.put(Tables.usersInfo, identity.id, JSON.stringify(info));
  }

  /** As `set_member`: the PEM in `members.certs`, `{status, member_data?}` in `members.info`. */
  addMember(identity: TestIdentity, memberData?: unknown): void {
    this.put(Tables.membersCerts, identity.id, identity.certPem);
    const info = memberData === undefined ? {} : { member_data: memberData };
    this.put(Tables.membersInfo, identity.id, JSON.stringify({ status: "Active", ...info }));
  }

  /** As `set_jwt_issuer` with `jwks`: through the governance effect, in an apply transaction. */
  setJwtKeys(issuer: string, keys: (JsonWebKey & { kid: string; issuer?: string })[]): void {
    const tx = new Transaction(this.store.current, "gov-apply");
    new GovernanceEffects(tx).run("setJwtPublicSigningKeys", [
      issuer,
      null,
      { keys } as unknown as HostValue,
    ]);
    this.store.commit(tx.writeSet());
  }

  removeJwtIssuer(issuer: string): void {
    const tx = new Transaction(this.store.current, "gov-apply");
    new GovernanceEffects(tx).run("removeJwtPublicSigningKeys", [issuer]);
    this.store.commit(tx.writeSet());
  }
}

export interface RequestParts {
  clientCertDer?: Uint8Array;
  headers?: Record<string, string>;
  body?: Uint8Array;
}

/** A policy context for `gov` at `nowMs` (now by default). */
export function contextFor(
  gov: TestGov,
  parts: RequestParts = {},
  nowMs = Date.now(),
): PolicyContext {
  const request: AuthRequest = {
    headers: parts.headers ?? {},
    body: parts.body ?? new Uint8Array(0),
  };
  if (parts.clientCertDer !== undefined) request.clientCertDer = parts.clientCertDer;
  return { request, gov: gov.reader, nowMs };
}

/** The failure reason of an outcome (fails the test on success). */
export function reasonOf(outcome: PolicyOutcome): string {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.identity)}`);
  return outcome.reason;
}

/** The identity of an outcome (fails the test on failure). */
export function identityOf(outcome: PolicyOutcome): Identity {
  if (!outcome.ok) throw new Error(`expected a success, got "${outcome.reason}"`);
  return outcome.identity;
}
