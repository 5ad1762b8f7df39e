import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { proposalListCommand } from "./list.js";
import { proposalShowCommand } from "./show.js";
import { proposalVoteCommand } from "./vote.js";
import { proposalWithdrawCommand } from "./withdraw.js";

export function proposalCommand(): Command {
  return defineGroup(
    "proposal",
    "governance proposals: list, show, vote, withdraw (members)",
    "Members govern the consortium by proposals and ballots: a proposal holds actions (accept a\n" +
      "contract, register a user, …) that are applied once the constitution accepts it.",
  )
    .addCommand(proposalListCommand())
    .addCommand(proposalShowCommand())
    .addCommand(proposalVoteCommand())
    .addCommand(proposalWithdrawCommand());
}
