/** `cleanroom proposal withdraw`: the proposer takes back an Open proposal. */
import type { Command } from "commander";
import type { Proposal } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { localNames, memberProfile, proposalLine, refusal, resolveProposalId } from "./common.js";

export async function runProposalWithdraw(ctx: Context, given: string): Promise<Proposal> {
  const client = ctx.governance(memberProfile(ctx));
  try {
    const proposalId = await resolveProposalId(client.gov, given);
    const result = await client.gov.withdraw(proposalId);
    ctx.out.result(result, proposalLine(result, localNames(ctx)));
    return result;
  } catch (error) {
    throw refusal(error, {
      AuthorizationFailed: "only the member who proposed it may withdraw it",
    });
  } finally {
    client.close();
  }
}

export function proposalWithdrawCommand(): Command {
  return defineCommand("withdraw", {
    summary: "withdraw an open proposal you made",
    description:
      "Withdraws an Open proposal, signed by this member's key: it takes no more ballots and its\n" +
      "actions are never applied. Only the member who proposed it may withdraw it. A contract\n" +
      "whose proposal is withdrawn is a Draft again and can be edited and proposed anew.",
    examples: [
      "cleanroom proposal withdraw 3f2a9c",
      "cleanroom proposal withdraw 3f2a9c --profile operator --json",
    ],
  })
    .argument("<proposalId>", "the proposal's id, or a unique prefix of it (4+ hex digits)")
    .action(async (proposalId: string, _options: unknown, command: Command) => {
      await runProposalWithdraw(contextOf(command), proposalId);
    });
}
