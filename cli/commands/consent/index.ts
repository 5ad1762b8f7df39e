import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { consentDisableCommand } from "./disable.js";
import { consentEnableCommand } from "./enable.js";
import { consentShowCommand } from "./show.js";

export function consentCommand(): Command {
  return defineGroup(
    "consent",
    "switch your execution and telemetry consent on or off",
    "Each dataset owner and each query approver keeps its own consent switches. A run obtains\n" +
      "keys only while every owner's, every approver's and the contract's execution switch is on;\n" +
      "governance checks them at every key request.",
  )
    .addCommand(consentEnableCommand())
    .addCommand(consentDisableCommand())
    .addCommand(consentShowCommand());
}
