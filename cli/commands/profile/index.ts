import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { profileCreateCommand } from "./create.js";
import { profileDeleteCommand } from "./delete.js";
import { profileListCommand } from "./list.js";
import { profileShowCommand } from "./show.js";
import { profileUseCommand } from "./use.js";

export function profileCommand(): Command {
  return defineGroup(
    "profile",
    "manage persona profiles (keys, certificates, endpoint)",
    "A profile is one persona on this machine — an operator, a data owner, a consumer — with its\n" +
      "own private key, certificate and consortium endpoint. Select one with --profile <name>,\n" +
      "CLEANROOM_PROFILE, or `cleanroom profile use <name>`.",
  )
    .addCommand(profileCreateCommand())
    .addCommand(profileListCommand())
    .addCommand(profileShowCommand())
    .addCommand(profileUseCommand())
    .addCommand(profileDeleteCommand());
}
