/** `cleanroom contract policy show`: the clean-room policy of a contract's accepted version. */
import type { Command } from "commander";
import { contextOf, defineCommand, defineGroup } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { refusal } from "../proposal/common.js";
import { checkContractId } from "./document.js";
import { describePolicy } from "./show.js";

export interface PolicyView {
  contractId: string;
  /** The accepted version the policy comes from. */
  version: string;
  sequence: number;
  measurements: string[];
  /** Allowed SEV-SNP host data; null means any. */
  hostData: string[] | null;
  allowVirtual: boolean;
}

export async function runContractPolicyShow(ctx: Context, contractId: string): Promise<PolicyView> {
  checkContractId(contractId);
  const client = ctx.governance();
  try {
    const contract = await client.app.contract(contractId);
    const accepted = contract.accepted;
    if (!accepted) {
      throw new UserError(
        `contract ${contractId} has no accepted version yet (it is ${contract.state}): no policy is in force`,
        `members accept it with \`cleanroom contract vote ${contractId} --accept\`; see the draft with \`cleanroom contract show ${contractId}\``,
        "NotAccepted",
      );
    }
    const policy = accepted.document.policy;
    const view: PolicyView = {
      contractId,
      version: accepted.version,
      sequence: accepted.sequence ?? 1,
      measurements: policy.measurements,
      hostData: policy.hostData ?? null,
      allowVirtual: policy.allowVirtual,
    };
    ctx.out.result(
      view,
      [
        `Clean-room policy of contract ${ctx.out.style.bold(contractId)} (accepted version ${view.version}, #${view.sequence}):`,
        ...describePolicy(policy),
      ].join("\n"),
    );
    return view;
  } catch (error) {
    throw refusal(error);
  } finally {
    client.close();
  }
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
  ).addCommand(contractPolicyShowCommand());
}
