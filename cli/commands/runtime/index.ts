import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { runtimeLogsCommand } from "./logs.js";
import { runtimeMeasureCommand } from "./measure.js";
import { runtimeStartCommand } from "./start.js";
import { runtimeStatusCommand } from "./status.js";
import { runtimeStopCommand } from "./stop.js";

export function runtimeCommand(): Command {
  return defineGroup(
    "runtime",
    "operators: start, watch and stop the local clean room",
    "The clean room is the attested runtime that executes a contract's approved queries: the\n" +
      "only place where several parties' data meet in clear. Locally it runs as a background\n" +
      "process next to the consortium, one per contract.",
  )
    .addCommand(runtimeStartCommand())
    .addCommand(runtimeStatusCommand())
    .addCommand(runtimeLogsCommand())
    .addCommand(runtimeMeasureCommand())
    .addCommand(runtimeStopCommand());
}
