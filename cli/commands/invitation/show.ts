/** `cleanroom invitation show <id>` and `cleanroom invitation list` (members). */
import type { Command } from "commander";
import type { Invitation } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { allInvitations, checkInvitationId, isoSeconds, refusing } from "./common.js";

function statusText(ctx: Context, status: Invitation["status"]): string {
  const { green, yellow, dim } = ctx.out.style;
  if (status === "Open") return yellow(status);
  if (status === "Accepted") return green(status);
  return dim(status);
}

export async function runInvitationShow(ctx: Context, invitationId: string): Promise<Invitation> {
  checkInvitationId(invitationId);
  const client = ctx.governance();
  try {
    const invitation = await refusing(invitationId, () => client.app.invitation(invitationId));
    const { bold } = ctx.out.style;
    const lines = [
      `Invitation ${bold(invitation.invitationId)}: ${statusText(ctx, invitation.status)}`,
      `  role          ${invitation.role}`,
      `  display name  ${invitation.displayName}`,
      `  expires       ${isoSeconds(invitation.expiresAt)}`,
    ];
    if (invitation.invitedBy) lines.push(`  invited by    ${invitation.invitedBy}`);
    if (invitation.proposalId) lines.push(`  proposal      ${invitation.proposalId}`);
    if (invitation.identityId) {
      lines.push(`  accepted by   ${invitation.identityId}`);
      if (invitation.acceptedAt !== undefined) {
        lines.push(`  accepted at   ${isoSeconds(invitation.acceptedAt)}`);
      }
    }
    if (invitation.revokedBy) lines.push(`  revoked by    ${invitation.revokedBy}`);
    ctx.out.result(invitation, lines.join("\n"));
    return invitation;
  } finally {
    client.close();
  }
}

export async function runInvitationList(ctx: Context): Promise<Invitation[]> {
  const client = ctx.governance();
  try {
    const all = await refusing("", () => allInvitations(client));
    ctx.out.table(all, [
      { header: "invitation", value: (i) => i.invitationId },
      { header: "role", value: (i) => i.role },
      { header: "name", value: (i) => i.displayName },
      { header: "status", value: (i) => statusText(ctx, i.status) },
      { header: "expires", value: (i) => isoSeconds(i.expiresAt) },
      {
        header: "accepted by",
        value: (i) => (i.identityId ? `${i.identityId.slice(0, 12)}…` : "-"),
      },
    ]);
    return all;
  } finally {
    client.close();
  }
}

export function invitationShowCommand(): Command {
  return defineCommand("show", {
    summary: "show one invitation: role, name, expiry, status (members)",
    description:
      "Shows an invitation as governance holds it: role, display name, expiry, who invited, and\n" +
      "its status (Open, Accepted, Revoked or Expired), with the identity that accepted it. The\n" +
      "code is never shown: governance only holds its hash.",
    examples: ["cleanroom invitation show northwind", "cleanroom invitation show northwind --json"],
  })
    .argument("<invitationId>", "the invitation")
    .action(async (invitationId: string, _options: unknown, command: Command) => {
      await runInvitationShow(contextOf(command), invitationId);
    });
}

export function invitationListCommand(): Command {
  return defineCommand("list", {
    summary: "list every invitation and its status (members)",
    description:
      "Lists the consortium's invitations in the order they were made, each with its role,\n" +
      "display name, status (Open, Accepted, Revoked or Expired) and expiry.",
    examples: ["cleanroom invitation list", "cleanroom invitation list --profile operator --json"],
  }).action(async (_options: unknown, command: Command) => {
    await runInvitationList(contextOf(command));
  });
}
