/** `cleanroom contract vote`: vote on the open set_contract proposal of a contract. */
import type { Command } from "commander";
import type { ContractState, ProposalState } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { localNames, memberProfile, proposalLine, refusal } from "../proposal/common.js";
import { checkContractId } from "./document.js";

export interface ContractVoted {
  contractId: string;
  proposalId: string;
  /** The draft version the proposal carries. */
  version: string | null;
  vote: "for" | "against";
  proposalState: ProposalState;
  ballotCount: number;
  finalVotes: Record<string, boolean> | null;
  /** The contract's state after the vote. */
  contractState: ContractState;
}

export async function runContractVote(
  ctx: Context,
  contractId: string,
  options: { accept?: boolean; reject?: boolean },
): Promise<ContractVoted> {
  checkContractId(contractId);
  if (options.accept === options.reject) {
    throw new UserError(
      "choose one of --accept or --reject",
      "for your own ballot module use `cleanroom proposal vote <id> --ballot file.js`",
      "UsageError",
    );
  }
  const client = ctx.governance(memberProfile(ctx));
  try {
    const contract = await client.app.contract(contractId);
    if (contract.state !== "Proposed" || !contract.proposalId) {
      throw new UserError(
        `contract ${contractId} has no open proposal (it is ${contract.state})`,
        contract.draft && contract.state !== "Accepted"
          ? `propose its draft with \`cleanroom contract propose ${contractId}\``
          : `see it with \`cleanroom contract show ${contractId}\``,
        "NoOpenProposal",
      );
    }
    const proposalId = contract.proposalId;
    const proposal = await client.gov.vote(proposalId, options.accept === true);
    const after = await client.app.contract(contractId);
    const result: ContractVoted = {
      contractId,
      proposalId,
      version: contract.proposed?.version ?? null,
      vote: options.accept ? "for" : "against",
      proposalState: proposal.proposalState,
      ballotCount: proposal.ballotCount,
      finalVotes: proposal.finalVotes ?? null,
      contractState: after.state,
    };
    ctx.out.result(
      result,
      [
        `Voted ${result.vote} contract ${ctx.out.style.bold(contractId)}${result.version ? ` version ${result.version}` : ""}.`,
        proposalLine(proposal, localNames(ctx)),
        `Contract ${contractId} is ${after.state}.`,
      ].join("\n"),
    );
    return result;
  } catch (error) {
    throw refusal(error);
  } finally {
    client.close();
  }
}

export function contractVoteCommand(): Command {
  return defineCommand("vote", {
    summary: "accept or reject a contract's open proposal",
    description:
      "Finds the open set_contract proposal naming the contract and votes on it with this member's\n" +
      "key, so you need not copy proposal ids. Check what you agree to first with\n" +
      "`cleanroom contract show` (the proposed participants and policy). A contract is accepted\n" +
      "once every active member is in favour; one --reject rejects it.",
    examples: [
      "cleanroom contract vote sales --accept",
      "cleanroom contract vote sales --reject --profile fabrikam --json",
    ],
  })
    .argument("<contractId>", "the contract's id")
    .option("--accept", "vote for the proposed contract")
    .option("--reject", "vote against it")
    .action(
      async (
        contractId: string,
        options: { accept?: boolean; reject?: boolean },
        command: Command,
      ) => {
        await runContractVote(contextOf(command), contractId, options);
      },
    );
}
