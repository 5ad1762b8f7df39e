import { Command } from "commander";
import { sandboxProposeCommand } from "./propose.js";
import { sandboxStartCommand } from "./start.js";
import { sandboxVoteCommand } from "./vote.js";

export function sandboxCommand(): Command {
  return new Command("sandbox")
    .summary("run a local CCF-compatible consortium")
    .description(
      "Run and govern the sandbox: a single-node host for CCF JavaScript apps. Members govern it\n" +
        "as on CCF, with signed proposals and ballots.",
    )
    .addCommand(sandboxStartCommand())
    .addCommand(sandboxProposeCommand())
    .addCommand(sandboxVoteCommand());
}
