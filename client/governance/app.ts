/**
 * Typed calls to the governance app (`/app/…`, governance/routes/*.json), one method per
 * endpoint a persona uses. The caller is whoever the transport's client certificate names (a
 * member, a user, an invitee), or anonymous without one. The clean room's own endpoints
 * (nonce, claim, signed key/secret/token requests, reports) belong to the runtime, not here.
 *
 * Write methods return the body with `transactionId`, the id of the transaction that applied the
 * write (wait for it with `waitForCommit`; a draft's version is that id).
 */
import type { AcceptedContract, ContractDocument } from "../../contracts/src/contract.js";
import type { DatasetDocument, DatasetRecord } from "../../contracts/src/dataset.js";
import type { QueryDocument } from "../../contracts/src/query.js";
import type { RunRecord, RunSummary } from "../../contracts/src/run.js";
import { waitForCommit, type WaitOptions } from "./gov.js";
import { GovernanceError, type Method, type Transport } from "./transport.js";

/** A page of a list: `{value, nextLink?}`. */
export interface Page<T> {
  value: T[];
  /** The path (under /app) of the next page, if there is one. */
  nextLink?: string;
}

export interface PageOptions {
  /** An opaque position from a nextLink (a number for most lists, e.g. `d40` for contracts). */
  start?: string | number;
  limit?: number;
}

export type Written<T> = T & { transactionId: string };

// ---- identity and invitations -----------------------------------------------------------------

export type Me =
  | { kind: "member"; id: string; registered: true }
  | { kind: "user"; id: string; displayName?: string; registered: true }
  | { kind: "anonymous"; registered: false };

export interface InvitationAccepted {
  identityId: string;
  role: "user" | "member";
  displayName: string;
  invitationId: string;
}

export type InvitationStatus = "Open" | "Accepted" | "Revoked" | "Expired";

export interface Invitation {
  invitationId: string;
  role: "user" | "member";
  displayName: string;
  /** Unix seconds. */
  expiresAt: number;
  invitedBy?: string;
  proposalId?: string;
  status: InvitationStatus;
  revokedBy?: string;
  revokedByProposal?: string;
  identityId?: string;
  acceptedAt?: number;
  version: string;
}

export interface Identity {
  identityId: string;
  role: "user" | "member";
  displayName: string;
  invitationId: string;
  /** The certificate it accepted with (PEM), or the token issuer and subject. */
  certPem?: string;
  jwt?: { issuer: string; subject: string };
  removed: boolean;
  version: string;
}

// ---- contracts --------------------------------------------------------------------------------

export type ContractState = "Draft" | "Proposed" | "Accepted" | "Rejected";

export interface ContractView {
  contractId: string;
  state: ContractState;
  draft?: { document: ContractDocument; version: string };
  accepted?: AcceptedContract;
  switches?: { execution?: boolean; logging?: boolean; telemetry?: boolean };
  proposalId?: string;
  proposed?: { document: ContractDocument; version: string };
}

export interface ContractSummary {
  contractId: string;
  state: ContractState;
  description?: string;
  draftVersion?: string;
  acceptedVersion?: string;
  proposalId?: string;
}

// ---- queries and consent ----------------------------------------------------------------------

export type QueryState = "Proposed" | "Accepted" | "Rejected" | "Withdrawn";

export interface QueryBallot {
  vote: "accept" | "reject";
  at: number;
  expiresAt?: number;
  runQuota?: number;
}

export interface QueryVersion {
  contractId: string;
  queryId: string;
  /** "1", "2", … */
  version: string;
  proposerId: string;
  approvers: string[];
  document: QueryDocument;
  datasetRevisions: Record<string, number>;
  proposedAt: number;
  withdrawn?: { by: string; at: number };
  state: QueryState;
  ballots: Record<string, QueryBallot>;
  runsUsed: number;
  /** A newer version exists. */
  superseded: boolean;
}

export interface QueryView {
  contractId: string;
  queryId: string;
  proposerId: string;
  latestVersion: number;
  approverIds: string[];
  /** Newest first. */
  versions: QueryVersion[];
}

/** A query as `GET …/queries` lists it: its latest version only. */
export type QuerySummary = Omit<QueryView, "versions"> & { latest: QueryVersion };

export interface Runnable {
  runnable: boolean;
  code?: string;
  reason?: string;
  [fact: string]: unknown;
}

export interface ApproveOptions {
  /** Unix seconds after which this approval allows no run. */
  expiresAt?: number;
  /** How many runs this approval allows. */
  runQuota?: number;
}

export interface ConsentSwitches {
  execution?: boolean;
  telemetry?: boolean;
}

export interface ConsentSet {
  principalId: string;
  execution: boolean;
  telemetry: boolean;
  updatedAt: number;
}

export interface PrincipalSwitches {
  principalId: string;
  execution: boolean;
  telemetry: boolean;
  [fact: string]: unknown;
}

export interface ContractConsent {
  execution: boolean;
  logging: boolean;
  telemetry: boolean;
}

export interface DatasetConsent {
  contractId: string;
  datasetId: string;
  owner: string;
  switches: PrincipalSwitches;
  contract: ContractConsent;
}

export interface QueryConsent {
  contractId: string;
  queryId: string;
  approvers: PrincipalSwitches[];
  datasets: ({ datasetId: string; missing?: true } & Partial<PrincipalSwitches>)[];
  contract: ContractConsent;
}

// ---- keys, grants, runs -----------------------------------------------------------------------

export interface Kek {
  kekId: string;
  publicKeyPem: string;
  createdAt: string;
  generation: number;
  current: boolean;
}

export interface StatementKey {
  keyId: string;
  publicKeyPem: string;
  createdAt: string;
  algorithm: "ES384";
}

export type GrantKind = "azure-sas" | "s3-credentials" | "generic";

export interface AccessGrantInput {
  /** The credential (at most 25,600 characters). Sent once; nobody can read it back. */
  value: string;
  kind: GrantKind;
  /** ISO 8601 time after which the clean room cannot obtain it. */
  expiresAt?: string;
  /** The current version, to replace an existing grant. */
  version?: string;
}

/** What anyone sees of an access grant: never its value. */
export interface AccessGrant {
  secretId: string;
  name: string;
  kind: GrantKind;
  createdAt: string;
  updatedAt: string;
  expiresAt?: string;
  version?: string;
}

export interface RunRequest {
  queryId: string;
  queryVersion?: string;
  parameters?: Record<string, unknown>;
}

export interface RunRequested {
  runId: string;
  state: "Requested";
  queryId: string;
  queryVersion: string;
}

export type { RunRecord, RunState, RunSummary } from "../../contracts/src/run.js";

/** A run with the version of its record (`GET …/runs/{runId}`). */
export type Run = RunRecord & { version: string };

export interface RunStatement {
  /** The JSON text governance signed. */
  statement: string;
  /** base64 ES384 signature (IEEE P1363 r‖s) over the statement's UTF-8 bytes. */
  signature: string;
  publicKeyPem: string;
  keyId: string;
  /** The transaction that recorded it (ask /app/receipt for its proof). */
  transactionId: string;
}

// ---- events and OIDC --------------------------------------------------------------------------

export interface AuditEvent {
  position: number;
  scope: string;
  type: string;
  actor: string;
  subject?: string;
  details: Record<string, unknown>;
  /** The transaction that recorded it. */
  transactionId: string;
}

export interface EventQuery {
  scope?: string;
  fromSeqno?: number;
  toSeqno?: number;
  start?: number;
  limit?: number;
}

export interface IssuerStatus {
  enabled: boolean;
  maxLifetimeSeconds: number;
  keyGeneration: number;
  keyGenerationRequested: number;
  algorithm: "ES256";
  issuerUrl?: string;
  currentKid?: string;
  retiredKids: string[];
}

export interface OpenIdConfiguration {
  issuer: string;
  jwks_uri: string;
  [field: string]: unknown;
}

export interface Jwks {
  keys: ({ kid: string; kty: string; alg?: string; use?: string } & Record<string, unknown>)[];
}

export interface OidcSigningKey extends Jwks {
  kid: string;
  generation: number;
  /** False when that generation existed already. */
  created: boolean;
}

// -----------------------------------------------------------------------------------------------

const seg = (value: string) => encodeURIComponent(value);
const contractPath = (contractId: string) => `/app/contracts/${seg(contractId)}`;

export class AppClient {
  constructor(readonly transport: Transport) {}

  private async call<T>(
    method: Method,
    path: string,
    options: { json?: unknown; query?: Record<string, string | number | boolean | undefined> } = {},
  ): Promise<{ body: T; transactionId?: string }> {
    const request: Parameters<Transport["request"]>[0] = { method, path };
    if (options.json !== undefined) request.json = options.json;
    if (options.query !== undefined) request.query = options.query;
    const reply = await this.transport.request<T>(request);
    const result: { body: T; transactionId?: string } = { body: reply.body };
    if (reply.transactionId !== undefined) result.transactionId = reply.transactionId;
    return result;
  }

  private async read<T>(
    path: string,
    query?: Record<string, string | number | boolean | undefined>,
  ): Promise<T> {
    return (await this.call<T>("GET", path, query ? { query } : {})).body;
  }

  private async write<T extends object>(
    method: Method,
    path: string,
    json?: unknown,
  ): Promise<Written<T>> {
    const { body, transactionId } = await this.call<T>(method, path, { json: json ?? {} });
    if (transactionId === undefined) {
      throw new GovernanceError(
        0,
        "InvalidResponse",
        `${path} answered without a transaction id: is this a CCF service?`,
      );
    }
    return { ...(body ?? ({} as T)), transactionId };
  }

  private page<T>(
    path: string,
    options: PageOptions = {},
    extra: Record<string, string | undefined> = {},
  ) {
    return this.read<Page<T>>(path, { ...extra, start: options.start, limit: options.limit });
  }

  /**
   * Every page of a list, following `nextLink` from `first` (a page, or a promise of one).
   * A nextLink may only point back into this service's /app.
   */
  async *pages<T>(first: Page<T> | Promise<Page<T>>): AsyncGenerator<Page<T>, void, undefined> {
    let page = await first;
    for (;;) {
      yield page;
      if (page.nextLink === undefined) return;
      page = await this.read<Page<T>>(this.nextPath(page.nextLink));
    }
  }

  /** Every item of a list, page after page. */
  async *items<T>(first: Page<T> | Promise<Page<T>>): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages(first)) yield* page.value;
  }

  private nextPath(link: string): string {
    const origin = this.transport.origin;
    const url = new URL(link, origin);
    if (url.origin !== origin || !url.pathname.startsWith("/app/")) {
      throw new GovernanceError(
        0,
        "InvalidResponse",
        `The service gave a next page outside its /app API (${url.origin}${url.pathname}).`,
      );
    }
    return `${url.pathname}${url.search}`;
  }

  /** Waits until a write's transaction is Committed. */
  waitForCommit(transactionId: string, options?: WaitOptions): Promise<void> {
    return waitForCommit(this.transport, transactionId, options);
  }

  // ---- identity ---------------------------------------------------------------------------------

  /** Who the service takes the caller for. */
  me(): Promise<Me> {
    return this.read<Me>("/app/me");
  }

  /** Accepts an invitation with its one-time code, as the transport's certificate. */
  acceptInvitation(invitationId: string, code: string): Promise<Written<InvitationAccepted>> {
    return this.write("POST", `/app/invitations/${seg(invitationId)}/accept`, { code });
  }

  /** Members: every invitation. */
  listInvitations(options?: PageOptions): Promise<Page<Invitation>> {
    return this.page("/app/invitations", options);
  }

  /** Members: one invitation. */
  invitation(invitationId: string): Promise<Invitation> {
    return this.read(`/app/invitations/${seg(invitationId)}`);
  }

  /** Members: identities that accepted an invitation. */
  listIdentities(options?: PageOptions): Promise<Page<Identity>> {
    return this.page("/app/identities", options);
  }

  identity(identityId: string): Promise<Identity> {
    return this.read(`/app/identities/${seg(identityId)}`);
  }

  // ---- contracts --------------------------------------------------------------------------------

  /** Members: saves a draft (`version`: the current draft's, to edit it). */
  putContractDraft(
    contractId: string,
    document: ContractDocument,
    version?: string,
  ): Promise<Written<{ contractId: string; state: "Draft" }>> {
    return this.write(
      "PUT",
      contractPath(contractId),
      version === undefined ? { document } : { document, version },
    );
  }

  contract(contractId: string): Promise<ContractView> {
    return this.read(contractPath(contractId));
  }

  /** The n-th accepted version (1 = the first). */
  contractVersion(contractId: string, sequence: number): Promise<AcceptedContract> {
    return this.read(`${contractPath(contractId)}/versions/${sequence}`);
  }

  listContracts(
    options: PageOptions & { state?: ContractState } = {},
  ): Promise<Page<ContractSummary>> {
    return this.page("/app/contracts", options, { state: options.state });
  }

  // ---- datasets ---------------------------------------------------------------------------------

  /**
   * Publishes a dataset (the caller becomes its owner) or, with the current `version`, a new
   * revision. The record's `version` is the publishing transaction's id.
   */
  async publishDataset(
    contractId: string,
    datasetId: string,
    document: DatasetDocument,
    version?: string,
  ): Promise<Written<DatasetRecord>> {
    const path = `${contractPath(contractId)}/datasets/${seg(datasetId)}`;
    const written = await this.write<Omit<DatasetRecord, "version">>(
      "PUT",
      path,
      version === undefined ? { document } : { document, version },
    );
    return { ...written, version: written.transactionId };
  }

  /** The current revision, or revision `revision`. */
  dataset(contractId: string, datasetId: string, revision?: number): Promise<DatasetRecord> {
    return this.read(`${contractPath(contractId)}/datasets/${seg(datasetId)}`, { revision });
  }

  /** `labels` keeps datasets carrying every label (filtered within each page). */
  listDatasets(
    contractId: string,
    options: PageOptions & { labels?: Record<string, string> } = {},
  ): Promise<Page<DatasetRecord>> {
    const label = options.labels
      ? Object.entries(options.labels)
          .map(([k, v]) => `${k}:${v}`)
          .join(",")
      : undefined;
    return this.page(`${contractPath(contractId)}/datasets`, options, { label });
  }

  // ---- queries ----------------------------------------------------------------------------------

  /** Proposes a query, or (as its proposer, with its latest `version`) a new version. */
  putQuery(
    contractId: string,
    queryId: string,
    document: QueryDocument,
    version?: string,
  ): Promise<Written<QueryVersion>> {
    const path = `${contractPath(contractId)}/queries/${seg(queryId)}`;
    return this.write("PUT", path, version === undefined ? { document } : { document, version });
  }

  approveQuery(
    contractId: string,
    queryId: string,
    version: string,
    options: ApproveOptions = {},
  ): Promise<Written<QueryVersion>> {
    return this.write("POST", `${contractPath(contractId)}/queries/${seg(queryId)}/approve`, {
      version,
      ...options,
    });
  }

  rejectQuery(
    contractId: string,
    queryId: string,
    version: string,
  ): Promise<Written<QueryVersion>> {
    return this.write("POST", `${contractPath(contractId)}/queries/${seg(queryId)}/reject`, {
      version,
    });
  }

  /** As its proposer: withdraws `version` (the latest by default). */
  withdrawQuery(
    contractId: string,
    queryId: string,
    version?: string,
  ): Promise<Written<QueryVersion>> {
    const path = `${contractPath(contractId)}/queries/${seg(queryId)}/withdraw`;
    return this.write("POST", path, version === undefined ? {} : { version });
  }

  query(contractId: string, queryId: string): Promise<QueryView> {
    return this.read(`${contractPath(contractId)}/queries/${seg(queryId)}`);
  }

  queryVersion(contractId: string, queryId: string, version: string): Promise<QueryVersion> {
    return this.read(`${contractPath(contractId)}/queries/${seg(queryId)}`, { version });
  }

  listQueries(contractId: string, options?: PageOptions): Promise<Page<QuerySummary>> {
    return this.page(`${contractPath(contractId)}/queries`, options);
  }

  /** Whether a run of the query (version, else its latest Accepted one) would be allowed now. */
  runnable(contractId: string, queryId: string, version?: string): Promise<Runnable> {
    return this.read(`${contractPath(contractId)}/queries/${seg(queryId)}/runnable`, { version });
  }

  // ---- consent ----------------------------------------------------------------------------------

  setDatasetConsent(
    contractId: string,
    datasetId: string,
    switches: ConsentSwitches & { version?: string },
  ): Promise<Written<ConsentSet>> {
    return this.write(
      "PUT",
      `${contractPath(contractId)}/consent/datasets/${seg(datasetId)}`,
      switches,
    );
  }

  setQueryConsent(
    contractId: string,
    queryId: string,
    switches: ConsentSwitches & { version?: string },
  ): Promise<Written<ConsentSet>> {
    return this.write(
      "PUT",
      `${contractPath(contractId)}/consent/queries/${seg(queryId)}`,
      switches,
    );
  }

  datasetConsent(contractId: string, datasetId: string): Promise<DatasetConsent> {
    return this.read(`${contractPath(contractId)}/consent/datasets/${seg(datasetId)}`);
  }

  queryConsent(contractId: string, queryId: string): Promise<QueryConsent> {
    return this.read(`${contractPath(contractId)}/consent/queries/${seg(queryId)}`);
  }

  // ---- keys -------------------------------------------------------------------------------------

  /** Members: makes the current generation's KEK (or returns it if it exists). */
  createKek(): Promise<Written<Kek>> {
    return this.write("POST", "/app/keys");
  }

  listKeks(options?: PageOptions): Promise<Page<Kek>> {
    return this.page("/app/keys", options);
  }

  /** The KEK to wrap new DEKs to. */
  currentKek(): Promise<Kek> {
    return this.read("/app/keys/current");
  }

  kek(kekId: string): Promise<Kek> {
    return this.read(`/app/keys/${seg(kekId)}`);
  }

  /** The key that verifies run statements. */
  statementKey(): Promise<StatementKey> {
    return this.read("/app/keys/statement");
  }

  // ---- access grants ----------------------------------------------------------------------------

  putAccessGrant(
    contractId: string,
    name: string,
    grant: AccessGrantInput,
  ): Promise<Written<AccessGrant>> {
    return this.write("PUT", `${contractPath(contractId)}/secrets/${seg(name)}`, grant);
  }

  /** The caller's own grants for the contract (never their values). */
  listAccessGrants(contractId: string, options?: PageOptions): Promise<Page<AccessGrant>> {
    return this.page(`${contractPath(contractId)}/secrets`, options);
  }

  async deleteAccessGrant(
    contractId: string,
    name: string,
    version?: string,
  ): Promise<{ transactionId?: string }> {
    const { transactionId } = await this.call<unknown>(
      "DELETE",
      `${contractPath(contractId)}/secrets/${seg(name)}`,
      { query: { version } },
    );
    return transactionId === undefined ? {} : { transactionId };
  }

  // ---- runs -------------------------------------------------------------------------------------

  requestRun(contractId: string, request: RunRequest): Promise<Written<RunRequested>> {
    return this.write("POST", `${contractPath(contractId)}/runs`, request);
  }

  run(contractId: string, runId: string): Promise<Run> {
    return this.read(`${contractPath(contractId)}/runs/${seg(runId)}`);
  }

  listRuns(contractId: string, options?: PageOptions): Promise<Page<RunSummary>> {
    return this.page(`${contractPath(contractId)}/runs`, options);
  }

  runStatement(contractId: string, runId: string): Promise<RunStatement> {
    return this.read(`${contractPath(contractId)}/runs/${seg(runId)}/statement`);
  }

  // ---- events -----------------------------------------------------------------------------------

  /** One page of a contract's audit trail, or the consortium's (`contractId` undefined). */
  listEvents(contractId: string | undefined, query: EventQuery = {}): Promise<Page<AuditEvent>> {
    const path = contractId === undefined ? "/app/events" : `${contractPath(contractId)}/events`;
    return this.read(path, {
      scope: query.scope,
      from_seqno: query.fromSeqno,
      to_seqno: query.toSeqno,
      start: query.start,
      limit: query.limit,
    });
  }

  /** Every page of an audit trail, following nextLink. */
  async *events(
    contractId: string | undefined,
    query: EventQuery = {},
  ): AsyncGenerator<Page<AuditEvent>, void, undefined> {
    yield* this.pages(this.listEvents(contractId, query));
  }

  // ---- OIDC issuer ------------------------------------------------------------------------------

  issuer(): Promise<IssuerStatus> {
    return this.read("/app/oidc/issuer");
  }

  openIdConfiguration(): Promise<OpenIdConfiguration> {
    return this.read("/app/oidc/.well-known/openid-configuration");
  }

  jwks(): Promise<Jwks> {
    return this.read("/app/oidc/keys");
  }

  /**
   * Members: makes, inside governance, the signing key generation members asked for
   * (enable_oidc_issuer, rotate_oidc_signing_key); idempotent. Returns the JWKS to publish.
   */
  createOidcSigningKey(): Promise<Written<OidcSigningKey>> {
    return this.write("POST", "/app/oidc/signing-keys");
  }
}
