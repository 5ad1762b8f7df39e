import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { contractCreateCommand } from "./create.js";
import { contractListCommand } from "./list.js";
import { contractPolicyCommand } from "./policy.js";
import { contractProposeCommand } from "./propose.js";
import { contractShowCommand } from "./show.js";
import { contractVoteCommand } from "./vote.js";

export function contractCommand(): Command {
  return defineGroup(
    "contract",
    "contracts: draft, propose, vote, show, policy",
    "A contract says who collaborates, which clean-room runtimes may see their data, and the\n" +
      "consent defaults. Members draft it, propose it, and it is in force once every member accepts.",
  )
    .addCommand(contractCreateCommand())
    .addCommand(contractShowCommand())
    .addCommand(contractListCommand())
    .addCommand(contractProposeCommand())
    .addCommand(contractVoteCommand())
    .addCommand(contractPolicyCommand());
}
