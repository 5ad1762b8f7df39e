// Reading accepted contracts: what every contract-scoped endpoint checks first.
import type { AcceptedContract, Participant } from "../../../contracts/src/contract.js";
import { Tables } from "../tables.js";
import type { Caller } from "./caller.js";
import { ApiError, forbidden, notFound } from "./errors.js";
import { JsonTable } from "./records.js";

const accepted = new JsonTable<AcceptedContract>(Tables.acceptedContracts);

export function readAcceptedContract(contractId: string): AcceptedContract | undefined {
  return accepted.get(contractId);
}

/** The accepted contract, or 404 `ContractNotFound` / 409 `ContractNotAccepted`. */
export function requireAcceptedContract(
  contractId: string,
  exists: (id: string) => boolean = () => false,
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
