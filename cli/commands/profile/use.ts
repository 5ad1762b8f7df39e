/** `cleanroom profile use`: choose the default persona. */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";

export function runUseProfile(ctx: Context, name: string): { current: string } {
  ctx.store.setCurrent(name);
  ctx.out.result({ current: name }, `Now acting as ${ctx.out.style.bold(name)}.`);
  return { current: name };
}

export function profileUseCommand(): Command {
  return defineCommand("use", {
    summary: "make a profile the default one",
    description:
      "Sets the profile commands act as when neither --profile nor CLEANROOM_PROFILE is given.\n" +
      "The choice is kept in the config directory, for every shell.",
    examples: ["cleanroom profile use northwind", "CLEANROOM_PROFILE=contoso cleanroom status"],
  })
    .argument("<name>", "profile name")
    .action((name: string, _options: unknown, command: Command) => {
      runUseProfile(contextOf(command), name);
    });
}
