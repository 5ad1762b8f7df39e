/** `cleanroom profile show`: one persona's files, identity and endpoint. */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { describeProfile, profileView, type ProfileView } from "./view.js";

export function runShowProfile(ctx: Context, name?: string): ProfileView {
  const profile = name !== undefined ? ctx.store.read(name) : ctx.profile();
  const view = profileView(ctx, profile);
  ctx.out.result(view, describeProfile(ctx, view));
  return view;
}

export function profileShowCommand(): Command {
  return defineCommand("show", {
    summary: "show a profile: identity, files and endpoint",
    description:
      "Shows a profile (the named one, else the selected one): whether it is a member or a user,\n" +
      "its certificate id (the id CCF knows it by), where its key and certificates are, the\n" +
      "consortium endpoint it talks to, and the sandbox it runs if it created one.",
    examples: ["cleanroom profile show", "cleanroom profile show northwind --json"],
  })
    .argument("[name]", "profile name (default: the selected profile)")
    .action((name: string | undefined, _options: unknown, command: Command) => {
      runShowProfile(contextOf(command), name);
    });
}
