/** `cleanroom consent disable`: stop runs from using your dataset or query. */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { setConsent, type ConsentChanged, type ConsentOptions } from "./set.js";

export function runDisable(
  ctx: Context,
  contractId: string,
  options: ConsentOptions,
): Promise<ConsentChanged> {
  return setConsent(ctx, contractId, options, false);
}

export function consentDisableCommand(): Command {
  return defineCommand("disable", {
    summary: "turn your consent off for a dataset or query",
    description: `Turns your execution consent (or, with --telemetry, your telemetry consent) off
      for a dataset you own or a query you approve. Governance reads consent at every key
      request, so with execution off no run can obtain the keys of anything it touches, and a run
      already under way stops at its next key request. Turn it back on with
      \`cleanroom consent enable\`.`,
    examples: [
      "cleanroom consent disable analytics --dataset northwind-audience",
      "cleanroom consent disable analytics --query overlap --json",
    ],
  })
    .argument("<contractId>", "the contract")
    .option("--dataset <datasetId>", "a dataset you own")
    .option("--query <queryId>", "a query you are an approver of")
    .option("--telemetry", "switch telemetry consent instead of execution consent")
    .action(async (contractId: string, options: ConsentOptions, command: Command) => {
      await runDisable(contextOf(command), contractId, options);
    });
}
