/** `cleanroom proposal list`: the proposals CCF keeps (every Open one and the last closed one). */
import { Option, type Command } from "commander";
import type { ProposalState } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { localNames, nameOf, PROPOSAL_STATES, refusal } from "./common.js";

export interface ProposalListItem {
  proposalId: string;
  state: ProposalState;
  proposerId: string;
  proposer: string;
  ballotCount: number;
  /** The actions' names, e.g. ["set_contract"]. */
  actions: string[];
}

export async function runProposalList(
  ctx: Context,
  options: { state?: ProposalState } = {},
): Promise<ProposalListItem[]> {
  const client = ctx.governance();
  try {
    const names = localNames(ctx);
    const proposals = (await client.gov.proposals()).filter(
      (p) => options.state === undefined || p.proposalState === options.state,
    );
    const items: ProposalListItem[] = [];
    for (const p of proposals) {
      const actions = await client.gov.proposalActions(p.proposalId).catch(() => []);
      items.push({
        proposalId: p.proposalId,
        state: p.proposalState,
        proposerId: p.proposerId,
        proposer: nameOf(names, p.proposerId),
        ballotCount: p.ballotCount,
        actions: actions.map((a) => a.name),
      });
    }
    if (items.length === 0 && !ctx.out.json) {
      ctx.out.note(
        options.state === undefined ? "No proposals." : `No ${options.state} proposals.`,
      );
    }
    ctx.out.table(items, [
      { header: "id", value: (r) => r.proposalId },
      { header: "state", value: (r) => r.state },
      { header: "proposer", value: (r) => r.proposer },
      { header: "ballots", value: (r) => String(r.ballotCount) },
      { header: "actions", value: (r) => r.actions.join(", ") },
    ]);
    return items;
  } catch (error) {
    throw refusal(error);
  } finally {
    client.close();
  }
}

export function proposalListCommand(): Command {
  return defineCommand("list", {
    summary: "list the consortium's proposals",
    description:
      "Lists the governance proposals the service keeps: every Open proposal and the most recently\n" +
      "closed one (CCF forgets older closed proposals; the ledger keeps them). Shows each\n" +
      "proposal's id, state, proposer (by profile name when it is one of yours), ballot count and\n" +
      "the names of its actions. Vote with `cleanroom proposal vote <id>`.",
    examples: [
      "cleanroom proposal list",
      "cleanroom proposal list --state Open",
      "cleanroom proposal list --profile operator --json",
    ],
  })
    .addOption(
      new Option("--state <state>", "only proposals in this state").choices(PROPOSAL_STATES),
    )
    .action(async (options: { state?: ProposalState }, command: Command) => {
      await runProposalList(contextOf(command), options);
    });
}
