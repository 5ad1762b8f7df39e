/**
 * How a `cleanroom <noun> <verb>` command is declared: a summary, a paragraph, examples, and the
 * global options every command takes. Each command file exports `<noun><Verb>Command()` built with
 * `defineCommand`, and a `run…(ctx, …)` function that does the work against a Context, which
 * tests call with fake I/O.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { createContext, type Context, type GlobalOptions, type Io } from "./context.js";

export interface CommandHelp {
  /** One line, lower case, no full stop: shown in the parent's list. */
  summary: string;
  /** A paragraph (or a few) saying what it does and when to use it. */
  description: string;
  /** Copy-pasteable command lines, without the `$ `. */
  examples: readonly string[];
}

/** Paragraphs are written with line breaks in source; commander wraps them to the terminal. */
function flow(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((paragraph) => paragraph.trim().replace(/\s*\n\s*/g, " "))
    .join("\n\n");
}

/** A leaf command with `--profile` and `--json`, and help with a paragraph and examples. */
export function defineCommand(name: string, help: CommandHelp): Command {
  return new Command(name)
    .summary(help.summary)
    .description(flow(help.description))
    .addOption(new Option("--profile <name>", "persona profile to act as").env("CLEANROOM_PROFILE"))
    .option("--json", "print the result as one JSON document")
    .addHelpText(
      "after",
      `\nExamples:\n${help.examples.map((example) => `  $ ${example}`).join("\n")}`,
    );
}

/** A noun: a group of verbs. */
export function defineGroup(name: string, summary: string, description: string): Command {
  return new Command(name).summary(summary).description(flow(description));
}

let testIo: Io | undefined;

/** Tests run commands in-process with fake I/O through this. */
export function setIoForTests(io: Io | undefined): void {
  testIo = io;
}

/** The Context for a command's action, from its global options. */
export function contextOf(command: Command): Context {
  const options = command.optsWithGlobals<GlobalOptions>();
  return createContext({ profile: options.profile, json: options.json }, testIo);
}

/** Parses a whole number option (≥ min). */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `expected a whole number from ${min} to ${max}, not '${value}'`,
      );
    }
    return n;
  };
}
