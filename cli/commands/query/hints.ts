/**
 * What to do about the governance app's refusals of query, consent, run and event requests, by
 * error code (docs/governance.md), so that each is one line and a hint.
 */
import { UserError, userErrorFromGovernance } from "../../errors.js";

const CONSENT =
  "someone's consent is off: see `cleanroom consent show <contractId> --query <queryId>`";

const HINTS: Readonly<Record<string, string>> = {
  VersionRequired: "it exists already: change it with a new version (`cleanroom query propose`)",
  PreconditionFailed: "it changed meanwhile: look at it again and retry",
  QueryNotFound: "list the contract's queries with `cleanroom query list <contractId>`",
  QueryVersionNotFound:
    "see the query's versions with `cleanroom query show <contractId> <queryId>`",
  DatasetNotPublished: "each dataset's owner publishes it first (`cleanroom dataset publish`)",
  DatasetNotFound: "list the contract's datasets with `cleanroom dataset list <contractId>`",
  InvalidQuery: "fix the query and try again",
  InvalidBallot: "check the version, --expires and --runs",
  NotTheProposer: "only the query's proposer changes or withdraws it",
  NotAnApprover: "only the owners of the datasets a query uses vote on it and switch its consent",
  NotTheOwner: "only the dataset's owner switches its consent",
  NotAParticipant: "this persona is not a participant of the contract: check `cleanroom status`",
  ContractNotFound: "check the contract id (`cleanroom contract list`)",
  QueryNotAccepted: "every approver must approve it first: see `cleanroom query show`",
  ApprovalExpired: "an approval expired: ask its approver to approve the query again",
  RunQuotaExhausted: "the approvals allow no more runs: ask the approvers to approve it again",
  DatasetChanged: "a dataset was republished: the query must be approved again",
  ContractExecutionOff: "the members switched execution off for the contract",
  QueryConsentOff: CONSENT,
  DatasetConsentOff: CONSENT,
  NotEntitled: "only the query's proposer and approvers request its runs",
  InvalidParameters: "pass the parameters the query declares (see `cleanroom query review`)",
  RunNotFound: "list the contract's runs with `cleanroom run list <contractId>`",
  StatementNotFound:
    "a run has a statement once it completed: see `cleanroom run status <contractId> <runId>`",
};

/** A governance refusal as a UserError with a hint; anything else unchanged. */
export function hinted(error: unknown): unknown {
  const user = userErrorFromGovernance(error);
  if (!user) return error;
  if (user.hint !== undefined) return user;
  return new UserError(
    user.message,
    HINTS[user.code] ?? "see the command's --help, or `cleanroom status`",
    user.code,
  );
}
