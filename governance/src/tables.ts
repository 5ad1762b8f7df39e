// Every KV table the governance app uses, once. `public:ccf.gov.cleanroom.*` tables are written
// only by our constitution actions (governance decisions) and read by the app; the others are
// the app's own. Tables without `public:` are private: encrypted in the ledger, never in clear.
export const Tables = {
  // Governance tables (constitution/*.js writes them; see each action).
  invitations: "public:ccf.gov.cleanroom.invitations",
  removedIdentities: "public:ccf.gov.cleanroom.removed_identities",
  acceptedContracts: "public:ccf.gov.cleanroom.contracts",
  contractSwitches: "public:ccf.gov.cleanroom.contract_switches",
  oidcIssuer: "public:ccf.gov.cleanroom.oidc_issuer",
  kekPolicy: "public:ccf.gov.cleanroom.kek_policy",

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
  keyReleases: "public:cleanroom.key_releases",
  oidcPublicKeys: "public:cleanroom.oidc_public_keys",
  oidcPrivateKeys: "cleanroom.oidc_private_keys",
  statementKeys: "cleanroom.statement_keys",
  events: "public:cleanroom.events",
  lists: "public:cleanroom.lists",
} as const;

export type TableName = (typeof Tables)[keyof typeof Tables];
