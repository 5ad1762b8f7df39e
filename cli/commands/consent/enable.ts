/** `cleanroom consent enable`: turn your execution (or telemetry) consent back on. */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { setConsent, type ConsentChanged, type ConsentOptions } from "./set.js";

export function runEnable(
  ctx: Context,
  contractId: string,
  options: ConsentOptions,
): Promise<ConsentChanged> {
  return setConsent(ctx, contractId, options, true);
}

export function consentEnableCommand(): Command {
  return defineCommand("enable", {
    summary: "turn your consent on for a dataset or query",
    description: `Turns your execution consent (or, with --telemetry, your telemetry consent) on
      for a dataset you own or a query you approve. A run needs every owner's and every
      approver's execution consent, and the contract's. Consent that was never set counts as on.`,
    examples: [
      "cleanroom consent enable analytics --dataset northwind-audience",
      "cleanroom consent enable analytics --query overlap --telemetry --json",
    ],
  })
    .argument("<contractId>", "the contract")
    .option("--dataset <datasetId>", "a dataset you own")
    .option("--query <queryId>", "a query you are an approver of")
    .option("--telemetry", "switch telemetry consent instead of execution consent")
    .action(async (contractId: string, options: ConsentOptions, command: Command) => {
      await runEnable(contextOf(command), contractId, options);
    });
}
