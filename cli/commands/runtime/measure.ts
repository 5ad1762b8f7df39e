/**
 * `cleanroom runtime measure`: the measurement of a runtime build, the value members put in a
 * contract's clean-room policy before any contract exists (`contract policy verify` checks the
 * same value against an accepted contract).
 */
import { Option, type Command } from "commander";
import { resolve } from "node:path";
import { contextOf, defineCommand, integer } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { runtimeEntry } from "./runtime.js";

export interface MeasureOptions {
  runtime?: string;
  platform: "virtual" | "snp";
  memoryLimit?: string;
  threads?: number;
}

export interface Measured {
  /** The runtime build measured. */
  runtime: string;
  platform: "virtual" | "snp";
  measurement: string;
}

/** Measures the build at `options.runtime` (default: this installation's) as configured. */
export async function measureBuild(options: MeasureOptions): Promise<Measured> {
  const entry = await runtimeEntry();
  const root = options.runtime !== undefined ? resolve(options.runtime) : entry.BUILD_ROOT;
  try {
    const measurement = entry.measureRuntime(root, {
      platform: options.platform,
      engine: { memoryLimit: options.memoryLimit, threads: options.threads },
    });
    return { runtime: root, platform: options.platform, measurement };
  } catch (error) {
    throw new UserError(
      `cannot measure the runtime build at ${root}: ${(error as Error).message}`,
      "pass --runtime the build folder that holds runtime/, client/ and contracts/ (e.g. dist)",
      "InvalidRuntime",
    );
  }
}

/** The options every command that measures a build takes (the runtime's configuration counts). */
export function withMeasureOptions(command: Command): Command {
  return command
    .option("--runtime <dir>", "a runtime build folder (default: this installation's)")
    .addOption(
      new Option("--platform <platform>", "the runtime's attestation platform")
        .choices(["virtual", "snp"])
        .default("virtual"),
    )
    .option("--memory-limit <size>", "the runtime's DuckDB memory limit, if it is given one")
    .option("--threads <n>", "the runtime's DuckDB threads, if it is given a number", integer(1));
}

export async function runRuntimeMeasure(ctx: Context, options: MeasureOptions): Promise<Measured> {
  const measured = await measureBuild(options);
  // Text mode prints the bare value so that it composes: --measurement $(cleanroom runtime measure)
  ctx.out.result(measured, measured.measurement);
  return measured;
}

export function runtimeMeasureCommand(): Command {
  return withMeasureOptions(
    defineCommand("measure", {
      summary: "print the runtime build's measurement, for a contract's clean-room policy",
      description: `Computes the clean-room runtime's measurement — SHA-384 of a manifest of every
        file of the runtime build (runtime/, client/, contracts/src/) and of its configuration
        (platform, engine limits; docs/runtime.md, "Measurement") — and prints it alone, so that
        it can be put in a contract before one exists. The runtime must then be started with
        the same configuration (\`runtime start --threads …\`), or it measures differently.`,
      examples: [
        "cleanroom runtime measure",
        'cleanroom contract create collab --participant northwind=northwind --measurement "$(cleanroom runtime measure)" --allow-virtual',
        "cleanroom runtime measure --runtime ./release/dist --threads 4 --json",
      ],
    }),
  ).action(async (options: MeasureOptions, command: Command) => {
    await runRuntimeMeasure(contextOf(command), options);
  });
}
