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
}
