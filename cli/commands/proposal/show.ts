/** `cleanroom proposal show`: a proposal's state, proposer, ballots, final votes and actions. */
import type { Command } from "commander";
import {
  GovernanceError,
  type GovClient,
  type GovernanceAction,
  type Proposal,
  type ProposalState,
} from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import {
  ballotMeaning,
  describeAction,
  localNames,
  nameOf,
  refusal,
  resolveProposalId,
} from "./common.js";

export interface BallotView {
  memberId: string;
  name: string;
  /** Whether this member has submitted a ballot. */
  voted: boolean;
  /** for/against for the plain ballots, custom for a ballot module of one's own. */
  ballot: "for" | "against" | "custom" | null;
}

export interface ProposalView {
  proposalId: string;
  state: ProposalState;
  proposerId: string;
  proposer: string;
  ballotCount: number;
  /** Every member's ballot, as far as the service still has them. */
  ballots: BallotView[];
  /** How the ballots resolved (member id → vote), once closed. */
  finalVotes: Record<string, boolean> | null;
  failure: string | null;
  actions: (GovernanceAction & { summary: string })[];
}

/** A member's ballot source, or undefined when it has not voted. */
export async function ballotOf(
  gov: GovClient,
  proposalId: string,
  memberId: string,
): Promise<string | undefined> {
  try {
    const reply = await gov.transport.request<unknown>({
      method: "GET",
      path: `/gov/members/proposals/${proposalId}/ballots/${memberId}`,
      query: { "api-version": "2024-07-01" },
    });
    return typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  } catch (error) {
    if (error instanceof GovernanceError && error.status === 404) return undefined;
    throw error;
  }
}

/** The whole view of a proposal (its state, ballots by member, actions). */
export async function proposalView(
  ctx: Context,
  gov: GovClient,
  proposalId: string,
  known?: Proposal,
): Promise<ProposalView> {
  const names = localNames(ctx);
  const proposal = known ?? (await gov.proposal(proposalId));
  const actions = await gov.proposalActions(proposalId);
  const members = await gov.members();
  const ballots: BallotView[] = [];
  for (const member of members) {
    const source = await ballotOf(gov, proposalId, member.memberId);
    ballots.push({
      memberId: member.memberId,
      name: nameOf(names, member.memberId),
      voted: source !== undefined,
      ballot: source === undefined ? null : ballotMeaning(source),
    });
  }
  return {
    proposalId,
    state: proposal.proposalState,
    proposerId: proposal.proposerId,
    proposer: nameOf(names, proposal.proposerId),
    ballotCount: proposal.ballotCount,
    ballots,
    finalVotes: proposal.finalVotes ?? null,
    failure: proposal.failure?.reason ?? null,
    actions: actions.map((a) => ({ ...a, summary: describeAction(a) })),
  };
}

export function describeProposalView(ctx: Context, view: ProposalView): string {
  const { bold } = ctx.out.style;
  const names = new Map(view.ballots.map((b) => [b.memberId, b.name]));
  const lines = [
    `${bold("Proposal")} ${view.proposalId}`,
    `State:       ${view.state}${view.failure ? ` (${view.failure})` : ""}`,
    `Proposer:    ${view.proposer}`,
    `Ballots:     ${view.ballotCount}`,
  ];
  for (const b of view.ballots) {
    lines.push(
      `  ${b.name}: ${b.voted ? `voted${b.ballot === "custom" ? " (own ballot)" : ` ${b.ballot}`}` : "not voted"}`,
    );
  }
  if (view.finalVotes) {
    const votes = Object.entries(view.finalVotes).map(
      ([id, vote]) => `${nameOf(names, id)} ${vote ? "for" : "against"}`,
    );
    lines.push(`Final votes: ${votes.length > 0 ? votes.join(", ") : "none"}`);
  }
  lines.push("Actions:");
  for (const action of view.actions) lines.push(`  ${action.summary}`);
  return lines.join("\n");
}

export async function runProposalShow(ctx: Context, given: string): Promise<ProposalView> {
  const client = ctx.governance();
  try {
    const proposalId = await resolveProposalId(client.gov, given);
    const view = await proposalView(ctx, client.gov, proposalId);
    ctx.out.result(view, describeProposalView(ctx, view));
    return view;
  } catch (error) {
    throw refusal(error);
  } finally {
    client.close();
  }
}

export function proposalShowCommand(): Command {
  return defineCommand("show", {
    summary: "show a proposal: state, proposer, ballots and actions",
    description:
      "Shows one governance proposal: its state (Open, Accepted, Rejected, Withdrawn, Failed,\n" +
      "Dropped), who proposed it, which members have voted and how (for and against for the plain\n" +
      "ballots), the final votes once it closed, and each action in words (a contract's\n" +
      "participants and policy; other actions as their arguments, long values shortened).\n" +
      "The id may be shortened to a unique prefix.",
    examples: [
      "cleanroom proposal show 3f2a9c",
      "cleanroom proposal show 3f2a9c --profile operator --json",
    ],
  })
    .argument("<proposalId>", "the proposal's id, or a unique prefix of it (4+ hex digits)")
    .action(async (proposalId: string, _options: unknown, command: Command) => {
      await runProposalShow(contextOf(command), proposalId);
    });
}
