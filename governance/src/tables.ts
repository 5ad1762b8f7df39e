// Every KV table the governance app uses, once. `public:ccf.gov.cleanroom.*` tables are written
// only by our constitution actions (governance decisions) and read by the app; the others are
// the app's own. Tables without `public:` are private: encrypted in the ledger, never in clear.
export const Tables = {
  // Governance tables (constitution/*.js writes them; see each action).
  invitations: "public:ccf.gov.cleanroom.invitations",
  /** Positions of invitations in proposal order (`count`, `"<position>"` → id), for paging. */
  invitationIndex: "public:ccf.gov.cleanroom.invitation_index",
  removedIdentities: "public:ccf.gov.cleanroom.removed_identities",
  acceptedContracts: "public:ccf.gov.cleanroom.contracts",
  contractSwitches: "public:ccf.gov.cleanroom.contract_switches",
  /** Every accepted version of every contract, keyed `<contractId>@<n>` (n = 1, 2, …). */
  contractVersions: "public:ccf.gov.cleanroom.contract_versions",
  /** Contracts in order of first acceptance (`count`, `"<position>"` → id), for paging. */
  contractIndex: "public:ccf.gov.cleanroom.contract_index",
  oidcIssuer: "public:ccf.gov.cleanroom.oidc_issuer",
  kekPolicy: "public:ccf.gov.cleanroom.kek_policy",
  /** How long a run's attestation nonce lives (`set_key_release_policy`). */
  keyReleasePolicy: "public:ccf.gov.cleanroom.key_release_policy",

  // CCF's own governance tables the app reads.
  membersInfo: "public:ccf.gov.members.info",
  membersCerts: "public:ccf.gov.members.certs",
  usersInfo: "public:ccf.gov.users.info",
  usersCerts: "public:ccf.gov.users.certs",
  proposals: "public:ccf.gov.proposals",
  proposalsInfo: "public:ccf.gov.proposals_info",

  // App tables.
  identities: "public:cleanroom.identities",
  invitationUses: "public:cleanroom.invitation_uses",
  contractDrafts: "public:cleanroom.contract_drafts",
  datasets: "public:cleanroom.datasets",
  queries: "public:cleanroom.queries",
  queryBallots: "public:cleanroom.query_ballots",
  consent: "public:cleanroom.consent",
  keks: "public:cleanroom.keks",
  kekPrivateKeys: "cleanroom.kek_private_keys",
  accessGrants: "cleanroom.access_grants",
  accessGrantIndex: "public:cleanroom.access_grant_index",
  runs: "public:cleanroom.runs",
  runNonces: "cleanroom.run_nonces",
  /** Per contract, the runs still Requested (what clean rooms poll), key `<contractId>`. */
  pendingRuns: "public:cleanroom.pending_runs",
  keyReleases: "public:cleanroom.key_releases",
  oidcPublicKeys: "public:cleanroom.oidc_public_keys",
  oidcPrivateKeys: "cleanroom.oidc_private_keys",
  statementKeys: "cleanroom.statement_keys",
  /** Signed run statements, key `<contractId>/<runId>`: the version is the recording tx. */
  runStatements: "public:cleanroom.run_statements",
  /** The KEK made for each generation, key `generation/<n>` → kekId. */
  kekIndex: "public:cleanroom.kek_index",
  events: "public:cleanroom.events",
  lists: "public:cleanroom.lists",
} as const;

export type TableName = (typeof Tables)[keyof typeof Tables];
