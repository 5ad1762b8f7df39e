/**
 * Helpers shared by the certificate-based policies: the session certificate's id, PEM and
 * validity window (parsed once per distinct certificate), and the governance lookups that build
 * a caller's `cert` and `data` (ccf-runtime.md §2.3, §3.2).
 */
import { X509Certificate, createHash } from "node:crypto";
import type { HostValue } from "../quickjs/marshal.js";
import { Lru } from "../lru.js";
import {
  AuthInternalError,
  fail,
  type AuthnPolicy,
  type GovReader,
  type PolicyContext,
  type PolicyOutcome,
} from "./types.js";

export interface SessionCert {
  /** Lower-hex SHA-256 of the DER: CCF's user/member id. */
  readonly id: string;
  /** PEM made from the DER, as CCF's `cert_der_to_pem`. */
  readonly pem: string;
  /** Validity window in Unix seconds. */
  readonly notBefore: number;
  readonly notAfter: number;
}

const sessionCerts = new Lru<string, SessionCert>(1024);

function parseSessionCert(der: Buffer): SessionCert {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    throw new AuthInternalError("Failed to parse caller certificate");
  }
  return {
    id: createHash("sha256").update(der).digest("hex"),
    pem: cert.toString(),
    notBefore: Math.floor(Date.parse(cert.validFrom) / 1000),
    notAfter: Math.floor(Date.parse(cert.validTo) / 1000),
  };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The parsed session certificate, cached by its exact bytes. */
export function sessionCert(der: Uint8Array): SessionCert {
  const buffer = asBuffer(der);
  return sessionCerts.getOrCompute(buffer.toString("latin1"), () =>
    parseSessionCert(Buffer.from(buffer)),
  );
}

/** CCF's reason when the certificate is outside its validity window at `nowMs`, else undefined. */
export function validityError(cert: SessionCert, nowMs: number): string | undefined {
  const now = Math.floor(nowMs / 1000);
  if (now < cert.notBefore) {
    return `Current time ${now} is before certificate's Not Before validity period ${cert.notBefore}`;
  }
  if (now > cert.notAfter) {
    return `Current time ${now} is after certificate's Not After validity period ${cert.notAfter}`;
  }
  return undefined;
}

export function readText(gov: GovReader, table: string, key: string): string | undefined {
  const value = gov.get(table, key);
  return value === undefined ? undefined : asBuffer(value).toString("utf8");
}

function readJson(gov: GovReader, table: string, key: string): unknown {
  const text = readText(gov, table, key);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * `users.info[id].user_data` / `members.info[id].member_data`; `null` when there is no record,
 * no such field, or a record that is not a JSON object (read defensively: old constitutions
 * stored raw user data).
 */
export function callerData(
  gov: GovReader,
  infoTable: string,
  id: string,
  field: string,
): HostValue {
  const info = readJson(gov, infoTable, id);
  if (typeof info !== "object" || info === null || Array.isArray(info)) return null;
  const record = info as Record<string, HostValue>;
  return Object.hasOwn(record, field) ? (record[field] ?? null) : null;
}

export interface RegisteredCertOptions {
  name: string;
  /** "user" or "member": used in CCF's reasons. */
  role: string;
  certsTable: string;
  infoTable: string;
  dataField: string;
}

/**
 * `user_cert` / `member_cert`: the TLS client certificate must be inside its validity window and
 * its SHA-256 must be a key of the certificates table. Caller `{policy, id, data, cert}`, with
 * `cert` the PEM stored by governance.
 */
export function registeredCertPolicy(options: RegisteredCertOptions): AuthnPolicy {
  const { name, role, certsTable, infoTable, dataField } = options;
  return {
    name,
    authenticate({ request, gov, nowMs }: PolicyContext): PolicyOutcome {
      const der = request.clientCertDer;
      if (der === undefined || der.length === 0) return fail(`No caller ${role} certificate`);
      const cert = sessionCert(der);
      const invalid = validityError(cert, nowMs);
      if (invalid !== undefined) return fail(invalid);
      const storedPem = readText(gov, certsTable, cert.id);
      if (storedPem === undefined) return fail(`Could not find matching ${role} certificate`);
      return {
        ok: true,
        identity: {
          policy: name,
          id: cert.id,
          data: callerData(gov, infoTable, cert.id, dataField),
          cert: storedPem,
        },
      };
    },
  };
}
