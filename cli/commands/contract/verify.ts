/**
 * `cleanroom contract policy verify`: recomputes the clean-room runtime's measurement from a
 * runtime build (this installation's by default) and says whether the contract's accepted policy
 * allows it.
 */
import { Option, type Command } from "commander";
import { resolve } from "node:path";
import { contextOf, defineCommand, integer } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { runtimeEntry } from "../runtime/runtime.js";
import { acceptedPolicy } from "./accepted-policy.js";

export interface PolicyVerifyOptions {
  runtime?: string;
  platform: "virtual" | "snp";
  memoryLimit?: string;
  threads?: number;
}

export interface PolicyVerdict {
  contractId: string;
  /** The accepted version whose policy was checked. */
  version: string;
  /** The runtime build measured. */
  runtime: string;
  platform: "virtual" | "snp";
  measurement: string;
  allowed: boolean;
  /** The policy's measurements. */
  measurements: string[];
  /** Whether the policy accepts virtual attestation (needed for the virtual platform). */
  allowVirtual: boolean;
}

async function measure(root: string, options: PolicyVerifyOptions): Promise<string> {
  const engine: { memoryLimit?: string; threads?: number } = {};
  if (options.memoryLimit !== undefined) engine.memoryLimit = options.memoryLimit;
  if (options.threads !== undefined) engine.threads = options.threads;
  const { measureRuntime } = await runtimeEntry();
  try {
    return measureRuntime(root, {
      platform: options.platform,
      ...(Object.keys(engine).length > 0 ? { engine } : {}),
    });
  } catch (error) {
    throw new UserError(
      `cannot measure the runtime build at ${root}: ${(error as Error).message}`,
      "pass --runtime the build folder that holds runtime/, client/ and contracts/ (e.g. dist)",
      "InvalidRuntime",
    );
  }
}

export async function runContractPolicyVerify(
  ctx: Context,
  contractId: string,
  options: PolicyVerifyOptions,
): Promise<PolicyVerdict> {
  const root =
    options.runtime !== undefined ? resolve(options.runtime) : (await runtimeEntry()).BUILD_ROOT;
  const measurement = await measure(root, options);
  const policy = await acceptedPolicy(ctx, contractId);
  const verdict: PolicyVerdict = {
    contractId,
    version: policy.version,
    runtime: root,
    platform: options.platform,
    measurement,
    allowed:
      policy.measurements.includes(measurement) &&
      (options.platform !== "virtual" || policy.allowVirtual),
    measurements: policy.measurements,
    allowVirtual: policy.allowVirtual,
  };
  const { green, red } = ctx.out.style;
  const lines = [
    `Runtime build ${root} (${options.platform}):`,
    `  measurement ${measurement}`,
    `Contract ${contractId} (accepted version ${policy.version}) allows:`,
    ...policy.measurements.map((m) => `  ${m}${m === measurement ? "  <- this build" : ""}`),
    verdict.allowed
      ? green(`Allowed: the contract's clean-room policy accepts this runtime.`)
      : red(
          policy.measurements.includes(measurement)
            ? "Not allowed: the measurement is listed, but the policy does not accept virtual attestation."
            : "Not allowed: the contract's policy does not list this measurement.",
        ),
  ];
  ctx.out.result(verdict, lines.join("\n"));
  if (!verdict.allowed) {
    throw new UserError(
      `the clean-room policy of ${contractId} does not allow runtime measurement ${measurement.slice(0, 16)}…`,
      `members add it to the contract (\`cleanroom contract create ${contractId} …\`, propose, vote), or run the build the contract names`,
      "MeasurementNotAllowed",
    );
  }
  return verdict;
}

export function contractPolicyVerifyCommand(): Command {
  return defineCommand("verify", {
    summary: "recompute the runtime's measurement and check it against a contract's policy",
    description: `Recomputes the clean-room runtime's measurement — SHA-384 of a manifest of every
      file of the runtime build (runtime/, client/, contracts/src/) and of its configuration
      (platform, engine limits; docs/runtime.md, "Measurement") — from this installation's
      build, or the build at --runtime, and says whether the contract's accepted clean-room
      policy allows it. Shows both values; exit 1 if it is not allowed.

      Under SEV-SNP, governance checks the hardware's launch measurement of the confidential
      container, which includes this build; the value here is the one the virtual platform
      states.`,
    examples: [
      "cleanroom contract policy verify collab",
      "cleanroom contract policy verify collab --runtime ./release/dist --json",
      "cleanroom contract policy verify collab --threads 4",
    ],
  })
    .argument("<contractId>", "the contract")
    .option("--runtime <dir>", "a runtime build folder (default: this installation's)")
    .addOption(
      new Option("--platform <platform>", "the runtime's attestation platform")
        .choices(["virtual", "snp"])
        .default("virtual"),
    )
    .option("--memory-limit <size>", "the runtime's DuckDB memory limit, if it is given one")
    .option("--threads <n>", "the runtime's DuckDB threads, if it is given a number", integer(1))
    .action(async (contractId: string, options: PolicyVerifyOptions, command: Command) => {
      await runContractPolicyVerify(contextOf(command), contractId, options);
    });
}
