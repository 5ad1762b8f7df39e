/** `cleanroom contract list`: the contracts this persona may see. */
import { Option, type Command } from "commander";
import type { ContractState, ContractSummary } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { refusal } from "../proposal/common.js";

const STATES: readonly ContractState[] = ["Draft", "Proposed", "Accepted", "Rejected"];

export async function runContractList(
  ctx: Context,
  options: { state?: ContractState } = {},
): Promise<ContractSummary[]> {
  const client = ctx.governance();
  try {
    const first = client.app.listContracts(options.state ? { state: options.state } : {});
    const rows: ContractSummary[] = [];
    for await (const item of client.app.items(first)) rows.push(item);
    if (rows.length === 0) {
      ctx.out.note(options.state ? `No ${options.state} contracts.` : "No contracts.");
    }
    ctx.out.table(rows, [
      { header: "id", value: (r) => r.contractId },
      { header: "state", value: (r) => r.state },
      { header: "draft", value: (r) => r.draftVersion ?? "-" },
      { header: "accepted", value: (r) => r.acceptedVersion ?? "-" },
      { header: "proposal", value: (r) => (r.proposalId ? `${r.proposalId.slice(0, 12)}…` : "-") },
      { header: "description", value: (r) => r.description ?? "" },
    ]);
    return rows;
  } catch (error) {
    throw refusal(error);
  } finally {
    client.close();
  }
}

export function contractListCommand(): Command {
  return defineCommand("list", {
    summary: "list contracts and their states",
    description:
      "Lists the contracts you may see (members: all of them; users: those naming them), with\n" +
      "each one's state, draft and accepted versions and open proposal. --state keeps one state.",
    examples: [
      "cleanroom contract list",
      "cleanroom contract list --state Proposed",
      "cleanroom contract list --profile northwind --json",
    ],
  })
    .addOption(new Option("--state <state>", "only contracts in this state").choices(STATES))
    .action(async (options: { state?: ContractState }, command: Command) => {
      await runContractList(contextOf(command), options);
    });
}
