import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { acceptCommand } from "./accept.js";
import { memberActivateCommand } from "./activate.js";
import { memberAddCommand } from "./add.js";
import { inviteCommand } from "./invite.js";
import { keygenCommand } from "./keygen.js";
import { memberListCommand } from "./list.js";

export function memberCommand(): Command {
  return defineGroup(
    "member",
    "consortium members: keys, invitations, activation",
    "Members govern the consortium: they propose and vote on contracts, users and policies. A new\n" +
      "member joins in four steps: a member invites it (`member invite`), it accepts from its own\n" +
      "profile (`member accept`), a member adds it (`member add`), and it activates (`member activate`).",
  )
    .addCommand(keygenCommand("member"))
    .addCommand(inviteCommand("member"))
    .addCommand(acceptCommand("member"))
    .addCommand(memberAddCommand())
    .addCommand(memberActivateCommand())
    .addCommand(memberListCommand());
}
