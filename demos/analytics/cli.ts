// Each persona is the `cleanroom` CLI run as its own process, with its own configuration folder
// (CLEANROOM_HOME: its keys and profile, as on its own machine) and its own environment (its
// storage credentials).
import type { ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";

import { spawnCli, type CliResult } from "../support/cli-process.js";

export type { CliResult } from "../support/cli-process.js";

/** A command that exited non-zero: its `error:` and `hint:` lines. */
export class CommandFailed extends Error {
  constructor(persona: string, args: readonly string[], result: CliResult) {
    const { error, hint } = errorOf(result);
    super(
      `${persona}: cleanroom ${args[0]} ${args[1] ?? ""} failed: ${error}${hint ? ` (${hint})` : ""}`,
    );
  }
}

/** The one-line error and hint a failed command printed (see cli/errors.ts). */
export function errorOf(result: CliResult): { error: string; hint: string } {
  const lines = result.stderr.split("\n");
  const error = lines.find((l) => l.startsWith("error: "))?.slice(7);
  const hint = lines.find((l) => l.startsWith("hint: "))?.slice(6) ?? "";
  return { error: error ?? (result.stderr.trim() || `exit code ${result.code}`), hint };
}

/** The CLI processes running now, to stop them if the demo is interrupted. */
const children = new Set<ChildProcess>();

/** Stops the CLI processes running now (the demo was interrupted). */
export function stopChildren(): void {
  for (const child of children) child.kill("SIGTERM");
}

export class PersonaCli {
  constructor(
    readonly name: string,
    private readonly home: string,
    private readonly env: Record<string, string>,
    private readonly cwd: string,
  ) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
  }

  /** Runs `cleanroom <args> --profile <name>` and returns what it printed and its exit code. */
  run(args: readonly string[]): Promise<CliResult> {
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...this.env,
      CLEANROOM_HOME: this.home,
      NO_COLOR: "1",
    };
    delete env["CLEANROOM_PROFILE"];
    const { child, result } = spawnCli([...args, "--profile", this.name], env, this.cwd);
    children.add(child);
    return result.finally(() => children.delete(child));
  }

  /** Runs a command that must succeed, with --json, and parses its one JSON document. */
  async json<T>(args: readonly string[]): Promise<T> {
    const result = await this.run([...args, "--json"]);
    if (result.code !== 0) throw new CommandFailed(this.name, args, result);
    return JSON.parse(result.stdout) as T;
  }
}
