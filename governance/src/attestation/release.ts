// What every release to a clean room (dataset key, access grant, token) checks after the
// request's signature: the rules of issue 5 item 5, evaluated live so that a switch or policy
// change takes effect at the next request.
import { executionConsent, requireRunnableQuery, type RunnableQuery } from "../lib/approvals.js";
import { requireAcceptedContract } from "../lib/contracts.js";
import { ApiError } from "../lib/errors.js";
import type { RunRecord } from "../lib/runs.js";
import { policyVerdict } from "../policy/attestation.js";
import { check } from "./runtime.js";

/** 403 with the consent code (ContractExecutionOff, QueryConsentOff, DatasetConsentOff, …). */
export function refuseConsent(query: RunnableQuery): void {
  const consent = executionConsent(query);
  if (!consent.ok) throw new ApiError(403, consent.code, consent.reason);
}

/**
 * For a run bound to a clean room: the clean room it attested still meets the contract's policy
 * (measurement, host data, virtual allowed), the run's query version is still Accepted and
 * unexpired, and every execution switch is on. Returns the query.
 */
export function releaseChecks(run: RunRecord, contractId: string): RunnableQuery {
  const contract = requireAcceptedContract(contractId);
  if (!run.claim) throw new ApiError(409, "RunNotClaimed", "The run has not been claimed.");
  check(policyVerdict(run.claim, contract.document.policy));
  const query = requireRunnableQuery(contractId, run.queryId, run.queryVersion, {
    countedRun: true,
  });
  refuseConsent(query);
  return query;
}
