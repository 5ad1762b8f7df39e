/** `cleanroom invitation revoke <id>`: proposes `revoke_invitation` (members). */
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
} from "./common.js";

export interface RevokeView {
  invitationId: string;
  proposalId: string;
  proposalState: Proposal["proposalState"];
}

export async function runInvitationRevoke(ctx: Context, invitationId: string): Promise<RevokeView> {
  checkInvitationId(invitationId);
  memberProfile(ctx, "revoke invitations");
  const client = ctx.governance();
  try {
    const invitation = await refusing(invitationId, () => client.app.invitation(invitationId));
    if (invitation.status === "Revoked") {
      throw new UserError(
        `invitation ${invitationId} is already revoked`,
        "nothing to do: see it with `cleanroom invitation show`",
        "AlreadyRevoked",
      );
    }
    if (invitation.status === "Accepted") {
      throw new UserError(
        `invitation ${invitationId} was already accepted, and revoking it would not undo that`,
        "removing the identity that accepted it is a separate governance decision (`remove_identity`)",
        "AlreadyAccepted",
      );
    }
    const proposal = await refusing(invitationId, () =>
      client.gov.propose([{ name: "revoke_invitation", args: { invitationId } }]),
    );
    checkProposal(proposal, `revoke invitation ${invitationId}`);
    const view: RevokeView = {
      invitationId,
      proposalId: proposal.proposalId,
      proposalState: proposal.proposalState,
    };
    ctx.out.result(
      view,
      [
        proposal.proposalState === "Accepted"
          ? `Revoked invitation ${ctx.out.style.bold(invitationId)}: its code no longer works.`
          : `Proposed to revoke invitation ${ctx.out.style.bold(invitationId)}.`,
        proposalLine(proposal),
      ].join("\n"),
    );
    return view;
  } finally {
    client.close();
  }
}

export function invitationRevokeCommand(): Command {
  return defineCommand("revoke", {
    summary: "revoke an invitation so its code no longer works (members)",
    description:
      "Proposes `revoke_invitation`: once it passes, the invitation's code is refused. An\n" +
      "invitation already accepted stays accepted (revoking does not remove the identity).",
    examples: [
      "cleanroom invitation revoke northwind",
      "cleanroom invitation revoke northwind --json",
    ],
  })
    .argument("<invitationId>", "the invitation")
    .action(async (invitationId: string, _options: unknown, command: Command) => {
      await runInvitationRevoke(contextOf(command), invitationId);
    });
}
