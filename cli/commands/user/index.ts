import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { acceptCommand } from "../member/accept.js";
import { inviteCommand } from "../member/invite.js";
import { keygenCommand } from "../member/keygen.js";
import { userListCommand } from "./list.js";

export function userCommand(): Command {
  return defineGroup(
    "user",
    "collaborators: keys, invitations",
    "Users are the collaborators: they publish datasets, propose and approve queries, and run them.\n" +
      "A member invites a user (`user invite`), who accepts from its own profile (`user accept`).",
  )
    .addCommand(keygenCommand("user"))
    .addCommand(inviteCommand("user"))
    .addCommand(acceptCommand("user"))
    .addCommand(userListCommand());
}
