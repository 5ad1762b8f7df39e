// Contract documents that the TypeScript validator (contract.ts) and the constitution's copy of
// its rules (governance/constitution/contracts.js) must judge alike: contract.test.ts runs them
// through the first, test/governance/contracts.test.ts proposes each one to the second.
import type { ContractDocument } from "./contract.js";

/** A SEV-SNP launch measurement: 48 bytes, 96 lower-hex digits. */
export const SNP_MEASUREMENT = "5f".repeat(48);
/** SEV-SNP host data: 32 bytes. */
export const SNP_HOST_DATA = "a1".repeat(32);
/** A short measurement such as the virtual one (any even-length lower hex is accepted). */
export const VIRTUAL_MEASUREMENT = "00";

const MEMBER_ID = "ab".repeat(32);
const USER_ID = "cd".repeat(32);

/** A valid contract document with two participants, built afresh so callers may change it. */
export function sampleContract(): ContractDocument {
  return {
    description: "Sales analytics between northwind and contoso",
    participants: [
      { id: MEMBER_ID, kind: "member", name: "operator" },
      { id: USER_ID, kind: "user", name: "northwind" },
    ],
    policy: { measurements: [SNP_MEASUREMENT], hostData: [SNP_HOST_DATA], allowVirtual: false },
    consentDefaults: { execution: true, logging: false, telemetry: false },
    tokenPolicy: { audiences: ["api://storage"], maxLifetimeSeconds: 3600 },
  };
}

export interface ContractExample {
  name: string;
  document: unknown;
  /** The exact message of the refusal; absent when the document is valid. */
  error?: string;
}

/** `sampleContract()` with `change` applied to a copy. */
function variant(change: (doc: Record<string, unknown>) => void): unknown {
  const doc = JSON.parse(JSON.stringify(sampleContract())) as Record<string, unknown>;
  change(doc);
  return doc;
}

type Doc = Record<string, unknown> & {
  participants: Record<string, unknown>[];
  policy: Record<string, unknown>;
  consentDefaults: Record<string, unknown>;
  tokenPolicy?: Record<string, unknown>;
};
const edit = (change: (doc: Doc) => void) => variant((doc) => change(doc as Doc));

export const contractExamples: ContractExample[] = [
  { name: "a full document", document: sampleContract() },
  {
    name: "the minimum: no description, host data or token policy",
    document: edit((d) => {
      delete d["description"];
      delete d.policy["hostData"];
      delete d["tokenPolicy"];
    }),
  },
  {
    name: "a virtual measurement, allowed",
    document: edit((d) => {
      d.policy["measurements"] = [VIRTUAL_MEASUREMENT, SNP_MEASUREMENT];
      d.policy["allowVirtual"] = true;
    }),
  },
  {
    name: "token lifetimes at both bounds",
    document: edit((d) => {
      d.tokenPolicy!["maxLifetimeSeconds"] = 60;
      d.tokenPolicy!["audiences"] = ["a", "b"];
    }),
  },
  {
    name: "a JWT identity as participant",
    document: edit((d) => {
      d.participants.push({ id: "jwt:https://login.example:alice", kind: "user", name: "alice" });
    }),
  },
  {
    name: "not an object",
    document: ["participants"],
    error: "document must be an object, but is an array",
  },
  { name: "null", document: null, error: "document must be an object, but is null" },
  {
    name: "an unknown field",
    document: edit((d) => {
      d["consentDefault"] = {};
    }),
    error: "document.consentDefault is not a known field",
  },
  {
    name: "a description that is not a string",
    document: edit((d) => {
      d["description"] = 7;
    }),
    error: "document.description must be a string, but is of type number",
  },
  {
    name: "no participants field",
    document: variant((d) => {
      delete d["participants"];
    }),
    error: "document.participants must be an array, but is of type undefined",
  },
  {
    name: "no participants",
    document: edit((d) => {
      d.participants = [];
    }),
    error: "document.participants must have at least 1 entry",
  },
  {
    name: "a participant twice",
    document: edit((d) => {
      d.participants.push({ id: USER_ID, kind: "user", name: "again" });
    }),
    error: `document.participants[2].id repeats participant ${USER_ID}`,
  },
  {
    name: "a participant with an empty id",
    document: edit((d) => {
      d.participants[0]!["id"] = "";
    }),
    error: "document.participants[0].id must not be empty",
  },
  {
    name: "a participant of an unknown kind",
    document: edit((d) => {
      d.participants[1]!["kind"] = "owner";
    }),
    error: 'document.participants[1].kind must be "member" or "user"',
  },
  {
    name: "a participant without a name",
    document: edit((d) => {
      delete d.participants[1]!["name"];
    }),
    error: "document.participants[1].name must be a string, but is of type undefined",
  },
  {
    name: "a participant with an unknown field",
    document: edit((d) => {
      d.participants[0]!["role"] = "admin";
    }),
    error: "document.participants[0].role is not a known field",
  },
  {
    name: "no policy",
    document: variant((d) => {
      delete d["policy"];
    }),
    error: "document.policy must be an object, but is of type undefined",
  },
  {
    name: "no measurements",
    document: edit((d) => {
      d.policy["measurements"] = [];
    }),
    error: "document.policy.measurements must have at least 1 entry",
  },
  {
    name: "an upper-case measurement",
    document: edit((d) => {
      d.policy["measurements"] = [SNP_MEASUREMENT.toUpperCase()];
    }),
    error: "document.policy.measurements[0] must be lower-case hex with an even number of digits",
  },
  {
    name: "a measurement with an odd number of digits",
    document: edit((d) => {
      d.policy["measurements"] = [SNP_MEASUREMENT, "abc"];
    }),
    error: "document.policy.measurements[1] must be lower-case hex with an even number of digits",
  },
  {
    name: "a measurement that is not hex",
    document: edit((d) => {
      d.policy["measurements"] = ["zz"];
    }),
    error: "document.policy.measurements[0] must be lower-case hex with an even number of digits",
  },
  {
    name: "a measurement twice",
    document: edit((d) => {
      d.policy["measurements"] = [SNP_MEASUREMENT, SNP_MEASUREMENT];
    }),
    error: `document.policy.measurements[1] repeats ${SNP_MEASUREMENT}`,
  },
  {
    name: "a measurement too long",
    document: edit((d) => {
      d.policy["measurements"] = ["ab".repeat(129)];
    }),
    error: "document.policy.measurements[0] must be at most 256 characters long",
  },
  {
    name: "empty host data (omit it to allow any)",
    document: edit((d) => {
      d.policy["hostData"] = [];
    }),
    error: "document.policy.hostData must have at least 1 entry",
  },
  {
    name: "host data that is not hex",
    document: edit((d) => {
      d.policy["hostData"] = ["0x12"];
    }),
    error: "document.policy.hostData[0] must be lower-case hex with an even number of digits",
  },
  {
    name: "allowVirtual missing",
    document: edit((d) => {
      delete d.policy["allowVirtual"];
    }),
    error: "document.policy.allowVirtual must be a boolean, but is of type undefined",
  },
  {
    name: "a consent default that is not a boolean",
    document: edit((d) => {
      d.consentDefaults["logging"] = "no";
    }),
    error: "document.consentDefaults.logging must be a boolean, but is of type string",
  },
  {
    name: "token policy without audiences",
    document: edit((d) => {
      d.tokenPolicy!["audiences"] = [];
    }),
    error: "document.tokenPolicy.audiences must have at least 1 entry",
  },
  {
    name: "an empty audience",
    document: edit((d) => {
      d.tokenPolicy!["audiences"] = ["api://storage", ""];
    }),
    error: "document.tokenPolicy.audiences[1] must not be empty",
  },
  {
    name: "an audience twice",
    document: edit((d) => {
      d.tokenPolicy!["audiences"] = ["x", "x"];
    }),
    error: "document.tokenPolicy.audiences[1] repeats x",
  },
  {
    name: "a token lifetime below 60 s",
    document: edit((d) => {
      d.tokenPolicy!["maxLifetimeSeconds"] = 59;
    }),
    error: "document.tokenPolicy.maxLifetimeSeconds must be an integer from 60 to 86400",
  },
  {
    name: "a token lifetime above a day",
    document: edit((d) => {
      d.tokenPolicy!["maxLifetimeSeconds"] = 86401;
    }),
    error: "document.tokenPolicy.maxLifetimeSeconds must be an integer from 60 to 86400",
  },
  {
    name: "a fractional token lifetime",
    document: edit((d) => {
      d.tokenPolicy!["maxLifetimeSeconds"] = 600.5;
    }),
    error: "document.tokenPolicy.maxLifetimeSeconds must be an integer from 60 to 86400",
  },
];

/** Contract ids, valid (no error) or not. */
export const contractIdExamples: { id: unknown; error?: string }[] = [
  { id: "sales-2026" },
  { id: "A.b_c-9" },
  { id: "x".repeat(64) },
  ...["", "-lead", "has space", "a/b", "a@1", "a#1", "x".repeat(65)].map((id) => ({
    id,
    error:
      "contractId must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
  })),
  { id: 42, error: "contractId must be a string, but is of type number" },
];
