// Reading contracts: what every contract-scoped endpoint checks first, and what the contract
// endpoints and key release share (drafts, proposals naming a contract, consent switches).
import { ccf } from "@microsoft/ccf-app/global.js";
import type {
  AcceptedContract,
  ConsentDefaults,
  ContractDocument,
  ContractSwitchRecord,
  Participant,
} from "../../../contracts/src/contract.js";
import {
  effectiveSwitches,
  setContractProposals,
  type ContractProposal,
  type StoredProposal,
} from "../policy/contracts.js";
import { Tables } from "../tables.js";
import type { Caller } from "./caller.js";
import { ApiError, forbidden, notFound } from "./errors.js";
import { JsonTable } from "./records.js";

/** A contract's draft (app table `contractDrafts`), edited by members with versions. */
export interface ContractDraft {
  document: ContractDocument;
  /** The member who saved this version. */
  updatedBy: string;
}

const accepted = new JsonTable<AcceptedContract>(Tables.acceptedContracts);
export const contractDrafts = new JsonTable<ContractDraft>(Tables.contractDrafts);
const switches = new JsonTable<ContractSwitchRecord>(Tables.contractSwitches);

export function readAcceptedContract(contractId: string): AcceptedContract | undefined {
  return accepted.get(contractId);
}

/**
 * The accepted contract, or 404 `ContractNotFound` / 409 `ContractNotAccepted`. By default a
 * contract "exists" when it has a draft; callers may widen that.
 */
export function requireAcceptedContract(
  contractId: string,
  exists: (id: string) => boolean = (id) => contractDrafts.has(id),
): AcceptedContract {
  const contract = accepted.get(contractId);
  if (contract) return contract;
  if (exists(contractId)) {
    throw new ApiError(409, "ContractNotAccepted", `Contract ${contractId} has not been accepted.`);
  }
  throw notFound("ContractNotFound", `There is no contract ${contractId}.`);
}

/** The caller's entry in the contract's participants, or 403 `NotAParticipant`. */
export function requireContractParticipant(
  contract: AcceptedContract,
  caller: Exclude<Caller, { kind: "anonymous" }>,
): Participant {
  const participant = contract.document.participants.find((p) => p.id === caller.id);
  if (participant) return participant;
  throw forbidden(
    "NotAParticipant",
    `The caller is not a participant of contract ${contract.contractId}.`,
  );
}

/**
 * Execution, logging and telemetry for a contract as they stand now: the accepted document's
 * consentDefaults overridden by the members' `set_contract_switch` decisions. All off for a
 * contract that has not been accepted.
 */
export function contractSwitches(contractId: string): ConsentDefaults {
  const contract = accepted.get(contractId);
  if (!contract) return { execution: false, logging: false, telemetry: false };
  return effectiveSwitches(contract.document.consentDefaults, switches.get(contractId));
}

/**
 * The `set_contract` actions of the Open and Rejected proposals CCF still holds, per contract id
 * (the other states do not change a contract's state). CCF keeps only the Open proposals and the
 * newest closed one, so this scan stays small whatever the history.
 */
export function readContractProposals(): Map<string, ContractProposal[]> {
  const stored: StoredProposal[] = [];
  const texts = ccf.kv[Tables.proposals]!;
  ccf.kv[Tables.proposalsInfo]!.forEach((value, key) => {
    const info = ccf.bufToJsonCompatible(value) as { state?: unknown };
    if (info.state !== "Open" && info.state !== "Rejected") return;
    const raw = texts.get(key);
    if (raw === undefined) return;
    stored.push({
      proposalId: ccf.bufToStr(key),
      proposalState: String(info.state),
      text: ccf.bufToStr(raw),
    });
  });
  return setContractProposals(stored);
}
