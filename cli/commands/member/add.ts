/**
 * `cleanroom member add <invitationId>`: after a member invitee accepted, a member proposes
 * `set_member` with the certificate it accepted with (read from governance, never from the
 * invitee), making it an Accepted CCF member, which then activates itself.
 */
import type { Command } from "commander";
import type { Proposal } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import {
  checkInvitationId,
  checkProposal,
  memberProfile,
  proposalLine,
  refusing,
} from "../invitation/common.js";

export interface AddView {
  invitationId: string;
  memberId: string;
  displayName: string;
  /** Absent when it was a member already. */
  proposalId?: string;
  proposalState?: Proposal["proposalState"];
  /** Its status when it was a member already. */
  status?: "Accepted" | "Active";
}

export async function runAdd(ctx: Context, invitationId: string): Promise<AddView> {
  checkInvitationId(invitationId);
  memberProfile(ctx, "add members");
  const client = ctx.governance();
  try {
    const invitation = await refusing(invitationId, () => client.app.invitation(invitationId));
    if (invitation.role !== "member") {
      throw new UserError(
        `invitation ${invitationId} is for a user, who needs no adding`,
        "users are registered when they accept; `member add` is for member invitations",
        "NotAMemberInvitation",
      );
    }
    if (invitation.status !== "Accepted" || invitation.identityId === undefined) {
      throw new UserError(
        `invitation ${invitationId} is ${invitation.status}, not accepted yet`,
        invitation.status === "Open"
          ? `the invitee accepts it first: \`cleanroom member accept ${invitationId} --code-file <file>\``
          : "invite them again (`cleanroom member invite <name>`)",
        "NotAccepted",
      );
    }
    const identityId = invitation.identityId;
    const identity = await refusing(identityId, () => client.app.identity(identityId));
    if (identity.certPem === undefined || identity.removed) {
      throw new UserError(
        `identity ${identityId} ${identity.removed ? "was removed" : "has no certificate"}`,
        "invite them again (`cleanroom member invite <name>`)",
        "NotAddable",
      );
    }
    const { bold } = ctx.out.style;
    const existing = (await client.gov.members()).find((m) => m.memberId === identityId);
    if (existing) {
      const view: AddView = {
        invitationId,
        memberId: identityId,
        displayName: invitation.displayName,
        status: existing.status,
      };
      ctx.out.result(
        view,
        `${bold(invitation.displayName)} is already a member (${existing.status}, id ${identityId.slice(0, 12)}…).`,
      );
      return view;
    }
    const certPem = identity.certPem;
    const proposal = await refusing(invitationId, () =>
      client.gov.propose([{ name: "set_member", args: { cert: certPem } }]),
    );
    checkProposal(proposal, `add ${invitation.displayName} as a member`);
    const view: AddView = {
      invitationId,
      memberId: identityId,
      displayName: invitation.displayName,
      proposalId: proposal.proposalId,
      proposalState: proposal.proposalState,
    };
    ctx.out.result(
      view,
      [
        `Proposed ${bold(invitation.displayName)} (id ${identityId.slice(0, 12)}…) as a member.`,
        proposalLine(proposal),
        proposal.proposalState === "Accepted"
          ? "Next: the new member activates its membership: cleanroom member activate --profile <its profile>"
          : "Once it passes, the new member activates: cleanroom member activate --profile <its profile>",
      ].join("\n"),
    );
    return view;
  } finally {
    client.close();
  }
}

export function memberAddCommand(): Command {
  return defineCommand("add", {
    summary: "make an invitee who accepted a member invitation a member (members)",
    description:
      "Proposes `set_member` for the invitee of an accepted member invitation, with the\n" +
      "certificate it accepted with (as governance recorded it). Once the proposal passes, the\n" +
      "invitee is an Accepted member and activates itself with `cleanroom member activate`.",
    examples: [
      "cleanroom member add fabrikam",
      "cleanroom member add fabrikam --profile operator --json",
    ],
  })
    .argument("<invitationId>", "the accepted member invitation")
    .action(async (invitationId: string, _options: unknown, command: Command) => {
      await runAdd(contextOf(command), invitationId);
    });
}
