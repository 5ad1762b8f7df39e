/** `cleanroom proposal vote`: a member's ballot on an Open proposal. */
import type { Command } from "commander";
import type { Proposal } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import {
  chooseBallot,
  localNames,
  memberProfile,
  proposalLine,
  refusal,
  resolveProposalId,
} from "./common.js";

export interface VoteOptions {
  accept?: boolean;
  reject?: boolean;
  ballot?: string;
}

export async function runProposalVote(
  ctx: Context,
  given: string,
  options: VoteOptions,
): Promise<Proposal> {
  const ballot = chooseBallot(options);
  const client = ctx.governance(memberProfile(ctx));
  try {
    const proposalId = await resolveProposalId(client.gov, given);
    const result = await client.gov.vote(proposalId, ballot);
    ctx.out.result(result, proposalLine(result, localNames(ctx)));
    return result;
  } catch (error) {
    throw refusal(error);
  } finally {
    client.close();
  }
}

export function proposalVoteCommand(): Command {
  return defineCommand("vote", {
    summary: "vote for or against an open proposal",
    description:
      "Signs a ballot with this member's key and submits it for the proposal. A ballot is an ES\n" +
      "module exporting vote(proposal, proposerId), run by the service: --accept and --reject send\n" +
      "one that returns true or false; --ballot sends your own. Prints the proposal's state\n" +
      "afterwards: it closes as soon as the constitution resolves it (contracts need every active\n" +
      "member; most other actions a majority). A member votes once per proposal.",
    examples: [
      "cleanroom proposal vote 3f2a9c --accept",
      "cleanroom proposal vote 3f2a9c --reject --profile fabrikam --json",
      "cleanroom proposal vote 3f2a9c --ballot only-set-contract.js",
    ],
  })
    .argument("<proposalId>", "the proposal's id, or a unique prefix of it (4+ hex digits)")
    .option("--accept", "vote for the proposal")
    .option("--reject", "vote against the proposal")
    .option("--ballot <file.js>", "submit this ballot module")
    .action(async (proposalId: string, options: VoteOptions, command: Command) => {
      await runProposalVote(contextOf(command), proposalId, options);
    });
}
