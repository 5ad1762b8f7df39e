import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { keyCreateCommand } from "./create.js";
import { keyListCommand } from "./list.js";

export function keyCommand(): Command {
  return defineGroup(
    "key",
    "governance's key-encryption keys: create (members), list",
    "Dataset owners wrap each dataset's key (DEK) to a key-encryption key that governance makes\n" +
      "and keeps; governance releases a DEK only to an attested clean room, re-wrapped to it.",
  )
    .addCommand(keyCreateCommand())
    .addCommand(keyListCommand());
}
