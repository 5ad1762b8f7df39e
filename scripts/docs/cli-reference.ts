/**
 * docs/cli.md from the `cleanroom` program itself: walks the commander tree that cli/program.ts
 * builds and records each command's --help (usage, description, options, examples) exactly as
 * the command prints it, at a fixed width and without colour, so the page does not depend on the
 * terminal it was generated in.
 */
import type { Command } from "commander";
import { createProgram } from "../../cli/program.js";
import { formatMarkdown, generatedNotice } from "./markdown.js";

export const CLI_PAGE = "docs/cli.md";
const HELP_WIDTH = 100;

/** What `<command> --help` prints, captured. */
export function helpText(command: Command): string {
  let text = "";
  command.configureOutput({
    writeOut: (chunk) => (text += chunk),
    getOutHelpWidth: () => HELP_WIDTH,
    getOutHasColors: () => false,
  });
  command.outputHelp();
  return text.trimEnd();
}

function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

function visible(command: Command): Command[] {
  return command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
}

/** Every command below `root`, depth first, in the order help lists them. */
function walk(root: Command, depth = 0): { command: Command; depth: number }[] {
  return visible(root).flatMap((c) => [{ command: c, depth }, ...walk(c, depth + 1)]);
}

function anchor(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, "")
    .replace(/ /g, "-");
}

function section(command: Command, level: number): string[] {
  const name = fullName(command);
  return [`${"#".repeat(level)} ${name}`, "", "```text", helpText(command), "```", ""];
}

/** The page, for a program tree (the real one by default). */
export async function renderCliReference(program: Command = createProgram()): Promise<string> {
  const commands = walk(program);
  const lines = [
    "# CLI reference",
    "",
    generatedNotice("the `cleanroom` program's own `--help` (`cli/program.ts`)"),
    "",
    "Every `cleanroom` command, with the help it prints. Every command acts as a persona profile " +
      "(`--profile`, `CLEANROOM_PROFILE`, or `cleanroom profile use`) and prints one JSON " +
      "document with `--json`. Usage mistakes exit with status 1 and one line saying what to " +
      "do; internal errors exit with status 2.",
    "",
    "## Commands",
    "",
    ...commands.map(({ command, depth }) => {
      const name = fullName(command);
      return `${"  ".repeat(depth)}- [\`${name}\`](#${anchor(name)}): ${command.summary() || command.description().split("\n")[0]}`;
    }),
    "",
    ...section(program, 2),
    ...commands.flatMap(({ command, depth }) => section(command, Math.min(2 + depth, 4))),
  ];
  return formatMarkdown(lines.join("\n"));
}
