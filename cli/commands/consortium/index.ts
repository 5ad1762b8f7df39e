import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { consortiumCreateCommand } from "./create.js";
import { consortiumDeployCommand } from "./deploy.js";
import { consortiumShowCommand } from "./show.js";
import { consortiumStopCommand } from "./stop.js";

export function consortiumCommand(): Command {
  return defineGroup(
    "consortium",
    "create, deploy to, show and stop the governance consortium",
    "The consortium is the governance service every persona talks to: a CCF network running the\n" +
      "cleanroom governance app, or a local sandbox of it for trying things out on one machine.",
  )
    .addCommand(consortiumCreateCommand())
    .addCommand(consortiumDeployCommand())
    .addCommand(consortiumShowCommand())
    .addCommand(consortiumStopCommand());
}
