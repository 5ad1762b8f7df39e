/** `cleanroom contract policy show|verify`: the clean-room policy of a contract's accepted version. */
import type { Command } from "commander";
import { contextOf, defineCommand, defineGroup } from "../../command.js";
import type { Context } from "../../context.js";
import { acceptedPolicy, type PolicyView } from "./accepted-policy.js";
import { describePolicy } from "./show.js";
import { contractPolicyVerifyCommand } from "./verify.js";

export async function runContractPolicyShow(ctx: Context, contractId: string): Promise<PolicyView> {
  const view = await acceptedPolicy(ctx, contractId);
  ctx.out.result(
    view,
    [
      `Clean-room policy of contract ${ctx.out.style.bold(contractId)} (accepted version ${view.version}, #${view.sequence}):`,
      ...describePolicy({
        measurements: view.measurements,
        ...(view.hostData ? { hostData: view.hostData } : {}),
        allowVirtual: view.allowVirtual,
      }),
    ].join("\n"),
  );
  return view;
}

export function contractPolicyShowCommand(): Command {
  return defineCommand("show", {
    summary: "show the clean-room policy in force for a contract",
    description:
      "Shows the clean-room policy of the contract's accepted version: the runtime measurements\n" +
      "allowed to obtain keys and tokens, the allowed SEV-SNP host data (any when absent), and\n" +
      "whether virtual (insecure) attestation is accepted. A draft's policy is not in force:\n" +
      "see it with `cleanroom contract show`.",
    examples: [
      "cleanroom contract policy show sales",
      "cleanroom contract policy show sales --profile northwind --json",
    ],
  })
    .argument("<contractId>", "the contract's id")
    .action(async (contractId: string, _options: unknown, command: Command) => {
      await runContractPolicyShow(contextOf(command), contractId);
    });
}

export function contractPolicyCommand(): Command {
  return defineGroup(
    "policy",
    "the clean-room policy of a contract",
    "Which clean-room runtimes may obtain a contract's keys and tokens: measurements, host data,\n" +
      "and whether virtual attestation is allowed.",
  )
    .addCommand(contractPolicyShowCommand())
    .addCommand(contractPolicyVerifyCommand());
}
