/**
 * A member's side of the status: its own activation, the invitations it sent that are still open
 * or wait for `member add`, and the open proposals it has not voted on.
 */
import type { GovernanceClient, Invitation } from "../../../client/governance/index.js";
import { allInvitations, isoSeconds } from "../invitation/common.js";
import { ballotOf } from "../proposal/show.js";
import type { Todo } from "./contracts.js";

export interface InvitationStanding {
  invitationId: string;
  role: Invitation["role"];
  displayName: string;
  status: Invitation["status"];
  /** ISO time. */
  expiresAt: string;
}

export interface ProposalStanding {
  proposalId: string;
  actions: string[];
  /** The contract a set_contract proposal is about. */
  contractId?: string;
  voted: boolean;
}

export interface MemberStanding {
  memberStatus: "Accepted" | "Active" | "Unknown";
  /** Invitations this member sent that are open, or accepted members not yet added. */
  invitations: InvitationStanding[];
  /** Open proposals. */
  proposals: ProposalStanding[];
}

export async function memberStanding(
  client: GovernanceClient,
  memberId: string,
): Promise<MemberStanding> {
  const [members, invitations, proposals] = await Promise.all([
    client.gov.members(),
    allInvitations(client),
    client.gov.proposals(),
  ]);
  const memberIds = new Set(members.map((m) => m.memberId));
  const pending = invitations.filter(
    (i) =>
      (i.status === "Open" && i.invitedBy === memberId) ||
      (i.status === "Accepted" &&
        i.role === "member" &&
        i.identityId !== undefined &&
        !memberIds.has(i.identityId)),
  );
  const open = proposals.filter((p) => p.proposalState === "Open");
  const standings = await Promise.all(
    open.map(async (p): Promise<ProposalStanding> => {
      const [actions, ballot] = await Promise.all([
        client.gov.proposalActions(p.proposalId),
        ballotOf(client.gov, p.proposalId, memberId),
      ]);
      const contract = actions.find((a) => a.name === "set_contract")?.args?.["contractId"];
      const standing: ProposalStanding = {
        proposalId: p.proposalId,
        actions: actions.map((a) => a.name),
        voted: ballot !== undefined,
      };
      if (typeof contract === "string") standing.contractId = contract;
      return standing;
    }),
  );
  return {
    memberStatus: members.find((m) => m.memberId === memberId)?.status ?? "Unknown",
    invitations: pending.map((i) => ({
      invitationId: i.invitationId,
      role: i.role,
      displayName: i.displayName,
      status: i.status,
      expiresAt: isoSeconds(i.expiresAt),
    })),
    proposals: standings,
  };
}

/** What a member has to do in the consortium, each with its command. */
export function memberTodos(standing: MemberStanding): Todo[] {
  const todos: Todo[] = [];
  if (standing.memberStatus === "Accepted") {
    todos.push({
      what: "activate your membership (you were added but have not acknowledged it)",
      command: "cleanroom member activate",
    });
  }
  for (const i of standing.invitations) {
    if (i.status === "Accepted") {
      todos.push({
        what: `${i.displayName} accepted member invitation ${i.invitationId}: propose adding it`,
        command: `cleanroom member add ${i.invitationId}`,
      });
    }
  }
  for (const p of standing.proposals) {
    if (p.voted) continue;
    const c = p.contractId;
    todos.push(
      c !== undefined
        ? {
            contractId: c,
            what: `review and vote on the proposal of contract ${c}`,
            command: `cleanroom contract show ${c} && cleanroom contract vote ${c} --accept`,
          }
        : {
            what: `review and vote on proposal ${p.proposalId.slice(0, 12)}… (${p.actions.join(", ")})`,
            command: `cleanroom proposal show ${p.proposalId} && cleanroom proposal vote ${p.proposalId} --accept`,
          },
    );
  }
  return todos;
}
