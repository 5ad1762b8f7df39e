/** `cleanroom profile list`: the personas on this machine. */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { profileView, type ProfileView } from "./view.js";

export function runListProfiles(ctx: Context): ProfileView[] {
  const views = ctx.store.list().map((p) => profileView(ctx, p));
  if (views.length === 0 && !ctx.out.json) {
    ctx.out.note("No profiles yet: create one with `cleanroom profile create <name>`.");
    return views;
  }
  ctx.out.table(views, [
    { header: "", value: (v) => (v.current ? "*" : " ") },
    { header: "name", value: (v) => v.name },
    { header: "kind", value: (v) => v.kind ?? "-" },
    { header: "id", value: (v) => v.id.slice(0, 12) },
    { header: "endpoint", value: (v) => v.endpoint ?? "-" },
  ]);
  return views;
}

export function profileListCommand(): Command {
  return defineCommand("list", {
    summary: "list the persona profiles on this machine",
    description:
      "Lists every profile in the config directory: its name, kind (member or user), the first\n" +
      "characters of its certificate id, and its consortium endpoint. The current profile (the\n" +
      "one used when neither --profile nor CLEANROOM_PROFILE is given) is marked with '*'.",
    examples: ["cleanroom profile list", "cleanroom profile list --json"],
  }).action((_options: unknown, command: Command) => {
    runListProfiles(contextOf(command));
  });
}
