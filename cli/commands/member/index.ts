import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { keygenCommand } from "./keygen.js";

export function memberCommand(): Command {
  return defineGroup(
    "member",
    "consortium members: keys and invitations",
    "Members govern the consortium: they propose and vote on contracts, users and policies.",
  ).addCommand(keygenCommand("member"));
}
