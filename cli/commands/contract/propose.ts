/** `cleanroom contract propose`: propose the current draft to the members (`set_contract`). */
import type { Command } from "commander";
import type { ProposalState } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { localNames, memberProfile, proposalLine, refusal } from "../proposal/common.js";
import { checkContractId } from "./document.js";

export interface ContractProposed {
  contractId: string;
  /** The draft version proposed. */
  version: string;
  proposalId: string;
  proposalState: ProposalState;
  ballotCount: number;
  finalVotes: Record<string, boolean> | null;
}

export async function runContractPropose(
  ctx: Context,
  contractId: string,
): Promise<ContractProposed> {
  checkContractId(contractId);
  const client = ctx.governance(memberProfile(ctx));
  try {
    const contract = await client.app.contract(contractId);
    if (!contract.draft) {
      throw new UserError(
        `contract ${contractId} has no draft to propose`,
        `save one with \`cleanroom contract create ${contractId} --file contract.yaml\``,
        "NoDraft",
      );
    }
    if (contract.state === "Proposed" && contract.proposalId) {
      throw new UserError(
        `contract ${contractId} is already proposed (proposal ${contract.proposalId})`,
        `vote with \`cleanroom contract vote ${contractId} --accept\`, or withdraw it with \`cleanroom proposal withdraw ${contract.proposalId.slice(0, 12)}\``,
        "AlreadyProposed",
      );
    }
    if (contract.accepted?.version === contract.draft.version) {
      throw new UserError(
        `the draft of contract ${contractId} (version ${contract.draft.version}) is already accepted`,
        `change it with \`cleanroom contract create ${contractId} …\` first`,
        "AlreadyAccepted",
      );
    }
    const { version, document } = contract.draft;
    const proposal = await client.gov.propose([
      { name: "set_contract", args: { contractId, version, document } },
    ]);
    const result: ContractProposed = {
      contractId,
      version,
      proposalId: proposal.proposalId,
      proposalState: proposal.proposalState,
      ballotCount: proposal.ballotCount,
      finalVotes: proposal.finalVotes ?? null,
    };
    const next =
      proposal.proposalState === "Open"
        ? `Every member must accept it: \`cleanroom contract vote ${contractId} --accept\`.`
        : proposal.proposalState === "Accepted"
          ? `Contract ${contractId} is accepted.`
          : `The proposal did not pass: see \`cleanroom proposal show ${proposal.proposalId.slice(0, 12)}\`.`;
    ctx.out.result(
      result,
      [
        `Proposed contract ${ctx.out.style.bold(contractId)} version ${version}.`,
        proposalLine(proposal, localNames(ctx)),
        next,
      ].join("\n"),
    );
    return result;
  } catch (error) {
    throw refusal(error);
  } finally {
    client.close();
  }
}

export function contractProposeCommand(): Command {
  return defineCommand("propose", {
    summary: "propose the contract's current draft to the members",
    description:
      "Submits a governance proposal with one action, set_contract {contractId, version,\n" +
      "document}, carrying the current draft and its version, signed with this member's key: what\n" +
      "members vote on is exactly what is accepted. It is accepted when every active member is in\n" +
      'favour (the proposer counts in favour) and rejected by any member\'s "no". Prints the\n' +
      "proposal's id and state. One proposal per contract at a time.",
    examples: ["cleanroom contract propose sales", "cleanroom contract propose sales --json"],
  })
    .argument("<contractId>", "the contract's id")
    .action(async (contractId: string, _options: unknown, command: Command) => {
      await runContractPropose(contextOf(command), contractId);
    });
}
