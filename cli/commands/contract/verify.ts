/**
 * `cleanroom contract policy verify`: recomputes the clean-room runtime's measurement from a
 * runtime build (this installation's by default) and says whether the contract's accepted policy
 * allows it.
 */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { measureBuild, withMeasureOptions, type MeasureOptions } from "../runtime/measure.js";
import { acceptedPolicy } from "./accepted-policy.js";

export type PolicyVerifyOptions = MeasureOptions;

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

export async function runContractPolicyVerify(
  ctx: Context,
  contractId: string,
  options: PolicyVerifyOptions,
): Promise<PolicyVerdict> {
  const { runtime: root, measurement } = await measureBuild(options);
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
  return withMeasureOptions(
    defineCommand("verify", {
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
    }).argument("<contractId>", "the contract"),
  ).action(async (contractId: string, options: PolicyVerifyOptions, command: Command) => {
    await runContractPolicyVerify(contextOf(command), contractId, options);
  });
}
