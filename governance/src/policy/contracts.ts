// A contract's lifecycle state and its effective consent switches, from what governance stores:
// the draft (app table), the accepted record (governance table) and the CCF proposals that name
// it. Pure: the endpoints read the tables, these functions decide.
import type {
  ConsentDefaults,
  ContractDocument,
  ContractSwitchRecord,
} from "../../../contracts/src/contract.js";

export type ContractState = "Draft" | "Proposed" | "Accepted" | "Rejected";

export const CONTRACT_STATES: readonly ContractState[] = [
  "Draft",
  "Proposed",
  "Accepted",
  "Rejected",
];

/** A `set_contract` action of a CCF proposal, with the proposal's state. */
export interface ContractProposal {
  proposalId: string;
  /** CCF's proposal state: Open, Accepted, Rejected, Withdrawn, Failed or Dropped. */
  proposalState: string;
  contractId: string;
  version: string;
  /** As proposed (the constitution validated it when the proposal was created). */
  document: unknown;
}

/** A stored proposal: its id, CCF state and raw text (`{"actions": [...]}`). */
export interface StoredProposal {
  proposalId: string;
  proposalState: string;
  text: string;
}

/**
 * The `set_contract` actions of `proposals`, per contract id. Proposals that are not JSON or hold
 * malformed actions are skipped (the constitution refuses them; nothing to show).
 */
export function setContractProposals(
  proposals: Iterable<StoredProposal>,
): Map<string, ContractProposal[]> {
  const found = new Map<string, ContractProposal[]>();
  for (const { proposalId, proposalState, text } of proposals) {
    // Most proposals (a bundle, a member) name no contract: skip them without parsing.
    if (!text.includes('"set_contract"')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      continue;
    }
    const actions = (parsed as { actions?: unknown } | null)?.actions;
    if (!Array.isArray(actions)) continue;
    for (const action of actions as unknown[]) {
      const { name, args } = (action ?? {}) as { name?: unknown; args?: unknown };
      if (name !== "set_contract" || args === null || typeof args !== "object") continue;
      const { contractId, version, document } = args as Record<string, unknown>;
      if (typeof contractId !== "string" || typeof version !== "string") continue;
      const entry = { proposalId, proposalState, contractId, version, document };
      found.set(contractId, [...(found.get(contractId) ?? []), entry]);
    }
  }
  return found;
}

export interface ContractFacts {
  /** Version of the current draft, if any. */
  draftVersion?: string;
  /** Version of the accepted record, if any. */
  acceptedVersion?: string;
  /** The proposals that name the contract (CCF keeps the Open ones and the newest closed one). */
  proposals: readonly ContractProposal[];
}

export interface ContractStatus {
  state: ContractState;
  /** The Open proposal (Proposed) or the rejected one (Rejected). */
  proposal?: ContractProposal;
}

/**
 * The contract's state, or undefined when governance knows nothing of it:
 * - Proposed while an Open proposal names it;
 * - Rejected when the newest closed proposal naming it was rejected and proposed the current
 *   draft version (an edit after the rejection makes it a Draft again);
 * - Draft when a draft exists whose version is not the accepted one;
 * - Accepted otherwise, when an accepted version exists.
 * CCF prunes closed proposals (only the newest closed one stays), so a rejection is visible only
 * until the next proposal of any kind closes; the ledger keeps its history.
 */
export function contractState(facts: ContractFacts): ContractStatus | undefined {
  const open = facts.proposals.find((p) => p.proposalState === "Open");
  if (open) return { state: "Proposed", proposal: open };
  const rejected = facts.proposals.find(
    (p) =>
      p.proposalState === "Rejected" &&
      (facts.draftVersion === undefined || p.version === facts.draftVersion) &&
      p.version !== facts.acceptedVersion,
  );
  if (rejected) return { state: "Rejected", proposal: rejected };
  if (facts.draftVersion !== undefined && facts.draftVersion !== facts.acceptedVersion) {
    return { state: "Draft" };
  }
  if (facts.acceptedVersion !== undefined) return { state: "Accepted" };
  if (facts.draftVersion !== undefined) return { state: "Draft" };
  return undefined;
}

/** The consent in force: the accepted document's defaults, overridden by members' switches. */
export function effectiveSwitches(
  defaults: ConsentDefaults,
  record: Partial<ContractSwitchRecord> | undefined,
): ConsentDefaults {
  return {
    execution: record?.execution ?? defaults.execution,
    logging: record?.logging ?? defaults.logging,
    telemetry: record?.telemetry ?? defaults.telemetry,
  };
}

/** Whether `id` is a participant of any of the documents (absent ones are skipped). */
export function participatesIn(
  id: string,
  documents: readonly (ContractDocument | undefined)[],
): boolean {
  return documents.some((doc) => doc?.participants.some((p) => p.id === id) ?? false);
}
