import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { invitationRevokeCommand } from "./revoke.js";
import { invitationListCommand, invitationShowCommand } from "./show.js";

export function invitationCommand(): Command {
  return defineGroup(
    "invitation",
    "see and revoke invitations (members)",
    "Invitations are how new users and members join: a member invites (`cleanroom user invite`,\n" +
      "`cleanroom member invite`), the invitee accepts with a one-time code. Members see every\n" +
      "invitation's status here and can revoke one that is still open.",
  )
    .addCommand(invitationShowCommand())
    .addCommand(invitationListCommand())
    .addCommand(invitationRevokeCommand());
}
