// The contract: who collaborates, what runtime may see their data, and consent defaults.
// Pure types, shared by governance, the CLI and the runtime.

export interface Participant {
  /** Member id or user id (lower-hex SHA-256 of the certificate, or a JWT identity id). */
  id: string;
  kind: "member" | "user";
  /** A name people recognise, e.g. "northwind". */
  name: string;
}

/** Which clean-room runtimes may obtain keys and tokens for this contract. */
export interface CleanRoomPolicy {
  /** Allowed runtime measurements (lower-hex; SEV-SNP launch measurement, or the virtual one). */
  measurements: string[];
  /** For SEV-SNP: allowed host data (lower-hex); absent means any. */
  hostData?: string[];
  /** Whether virtual (insecure, development) attestation is accepted. Off unless members turn it on. */
  allowVirtual: boolean;
}

export interface ConsentDefaults {
  execution: boolean;
  logging: boolean;
  telemetry: boolean;
}

/** What tokens the OIDC issuer may mint for this contract's runs. */
export interface TokenPolicy {
  /** Allowed `aud` values. */
  audiences: string[];
  /** Upper bound of a token's lifetime. */
  maxLifetimeSeconds: number;
}

export interface ContractDocument {
  description?: string;
  participants: Participant[];
  policy: CleanRoomPolicy;
  consentDefaults: ConsentDefaults;
  tokenPolicy?: TokenPolicy;
}

/** The record `set_contract` writes when members accept a contract. */
export interface AcceptedContract {
  contractId: string;
  /** The draft version that was proposed and accepted. */
  version: string;
  document: ContractDocument;
  proposalId: string;
  /** The ballots that decided it (member id → vote), as CCF recorded them. */
  finalVotes?: Record<string, boolean>;
  /** The member who proposed it (counted in favour unless it voted). */
  proposerId?: string;
  /** 1 for the first accepted version of this contract, 2 for the next, … */
  sequence?: number;
}

/** The members' consent switches for a contract (`set_contract_switch`), over its defaults. */
export interface ContractSwitchRecord {
  execution?: boolean;
  logging?: boolean;
  telemetry?: boolean;
  /** The proposal that last changed them. */
  proposalId: string;
}

// ---------------------------------------------------------------------------------------------
// Validation. The constitution (governance/constitution/contracts.js) repeats these rules in
// plain JS, with the same messages; contract.fixtures.ts holds the examples both must agree on.

/** Contract ids: a letter or digit, then letters, digits, `.`, `_` or `-`; at most 64. */
export const CONTRACT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Bounds that keep a contract document small enough to read on every key request. */
export const CONTRACT_LIMITS = {
  description: 4096,
  participants: 100,
  participantId: 512,
  participantName: 200,
  measurements: 100,
  /** Hex digits of one measurement or host data value (SEV-SNP: 96 and 64). */
  hexDigits: 256,
  audiences: 20,
  audience: 512,
  minLifetimeSeconds: 60,
  maxLifetimeSeconds: 86400,
} as const;

const LOWER_HEX = /^(?:[0-9a-f]{2})+$/;

function fail(path: string, problem: string): never {
  throw new Error(`${path} ${problem}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `of type ${typeof value}`;
}

function object(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
  if (!isObject(value)) fail(path, `must be an object, but is ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(`${path}.${key}`, `is not a known field`);
  }
  return value;
}

function string(value: unknown, path: string, max: number): string {
  if (typeof value !== "string") fail(path, `must be a string, but is ${describe(value)}`);
  if (value.length === 0) fail(path, "must not be empty");
  if (value.length > max) fail(path, `must be at most ${max} characters long`);
  return value;
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== "boolean") fail(path, `must be a boolean, but is ${describe(value)}`);
  return value;
}

function array(value: unknown, path: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value)) fail(path, `must be an array, but is ${describe(value)}`);
  if (value.length < min) fail(path, `must have at least ${min} entr${min === 1 ? "y" : "ies"}`);
  if (value.length > max) fail(path, `must have at most ${max} entries`);
  return value;
}

function hexList(value: unknown, path: string): string[] {
  const list = array(value, path, 1, CONTRACT_LIMITS.measurements);
  const seen = new Set<string>();
  return list.map((entry, i) => {
    const where = `${path}[${i}]`;
    const hex = string(entry, where, CONTRACT_LIMITS.hexDigits);
    if (!LOWER_HEX.test(hex)) fail(where, "must be lower-case hex with an even number of digits");
    if (seen.has(hex)) fail(where, `repeats ${hex}`);
    seen.add(hex);
    return hex;
  });
}

/** A contract id, or an Error saying what is wrong with it. */
export function validateContractId(value: unknown, path = "contractId"): string {
  if (typeof value !== "string") fail(path, `must be a string, but is ${describe(value)}`);
  if (!CONTRACT_ID_PATTERN.test(value)) {
    fail(path, "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  return value;
}

/**
 * Checks that `value` is a well-formed contract document and returns it (typed, unchanged).
 * Throws an Error whose message names the field (`document.policy.measurements[0]`) and what is
 * wrong with it. Unknown fields are refused, so a misspelt optional field cannot pass unseen.
 */
export function validateContractDocument(value: unknown, path = "document"): ContractDocument {
  const doc = object(value, path, [
    "description",
    "participants",
    "policy",
    "consentDefaults",
    "tokenPolicy",
  ]);
  if (doc["description"] !== undefined) {
    string(doc["description"], `${path}.description`, CONTRACT_LIMITS.description);
  }

  const participants = array(
    doc["participants"],
    `${path}.participants`,
    1,
    CONTRACT_LIMITS.participants,
  );
  const ids = new Set<string>();
  participants.forEach((entry, i) => {
    const where = `${path}.participants[${i}]`;
    const participant = object(entry, where, ["id", "kind", "name"]);
    const id = string(participant["id"], `${where}.id`, CONTRACT_LIMITS.participantId);
    if (ids.has(id)) fail(`${where}.id`, `repeats participant ${id}`);
    ids.add(id);
    if (participant["kind"] !== "member" && participant["kind"] !== "user") {
      fail(`${where}.kind`, `must be "member" or "user"`);
    }
    string(participant["name"], `${where}.name`, CONTRACT_LIMITS.participantName);
  });

  const policy = object(doc["policy"], `${path}.policy`, [
    "measurements",
    "hostData",
    "allowVirtual",
  ]);
  hexList(policy["measurements"], `${path}.policy.measurements`);
  if (policy["hostData"] !== undefined) hexList(policy["hostData"], `${path}.policy.hostData`);
  boolean(policy["allowVirtual"], `${path}.policy.allowVirtual`);

  const consent = object(doc["consentDefaults"], `${path}.consentDefaults`, [
    "execution",
    "logging",
    "telemetry",
  ]);
  for (const name of ["execution", "logging", "telemetry"]) {
    boolean(consent[name], `${path}.consentDefaults.${name}`);
  }

  if (doc["tokenPolicy"] !== undefined) {
    const where = `${path}.tokenPolicy`;
    const tokens = object(doc["tokenPolicy"], where, ["audiences", "maxLifetimeSeconds"]);
    const audiences = array(
      tokens["audiences"],
      `${where}.audiences`,
      1,
      CONTRACT_LIMITS.audiences,
    );
    const seen = new Set<string>();
    audiences.forEach((entry, i) => {
      const audience = string(entry, `${where}.audiences[${i}]`, CONTRACT_LIMITS.audience);
      if (seen.has(audience)) fail(`${where}.audiences[${i}]`, `repeats ${audience}`);
      seen.add(audience);
    });
    const lifetime = tokens["maxLifetimeSeconds"];
    const { minLifetimeSeconds: min, maxLifetimeSeconds: max } = CONTRACT_LIMITS;
    if (!Number.isInteger(lifetime) || (lifetime as number) < min || (lifetime as number) > max) {
      fail(`${where}.maxLifetimeSeconds`, `must be an integer from ${min} to ${max}`);
    }
  }
  return doc as unknown as ContractDocument;
}
