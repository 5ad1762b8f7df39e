import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { runListCommand } from "./list.js";
import { runLogsCommand } from "./logs.js";
import { runOutputCommand } from "./output.js";
import { runStartCommand } from "./start.js";
import { runStatementCommand } from "./statement.js";
import { runStatusCommand } from "./status.js";

export function runCommand(): Command {
  return defineGroup(
    "run",
    "request runs of accepted queries and follow them",
    "A run is one execution of an accepted query version by an attested clean room. Request one\n" +
      "with `run start`, follow it with `run status` or `run logs`, and check what it produced against the\n" +
      "statement governance signed with `run statement`; the output's owner fetches it with\n" +
      "`run output`.",
  )
    .addCommand(runStartCommand())
    .addCommand(runStatusCommand())
    .addCommand(runListCommand())
    .addCommand(runLogsCommand())
    .addCommand(runOutputCommand())
    .addCommand(runStatementCommand());
}
