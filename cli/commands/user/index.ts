import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { keygenCommand } from "../member/keygen.js";

export function userCommand(): Command {
  return defineGroup(
    "user",
    "collaborators: keys and invitations",
    "Users are the collaborators: they publish datasets, propose and approve queries, and run them.",
  ).addCommand(keygenCommand("user"));
}
