/**
 * `cleanroom runtime start`: the local clean room for one contract, as a background process next
 * to the consortium (the local counterpart of a confidential clean-room cluster): the agent of
 * runtime/ spawned detached, its workspace in the profile's folder, recorded to be found again.
 */
import { Option, type Command } from "commander";
import { join, resolve } from "node:path";
import { launchDetached } from "../../background.js";
import { contextOf, defineCommand, integer } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import type { Profile } from "../../profile/store.js";
import { checkContractId } from "../contract/document.js";
import { checkEndpoint, readServiceCert } from "../profile/create.js";
import {
  AGENT_MAIN,
  makeWorkspace,
  PROCESS_LOG,
  runningRuntime,
  runtimeWorkspace,
  writeLaunch,
  type LaunchRecord,
} from "./local.js";
import { RUNTIME_NODE_FLAGS } from "../../../runtime/node-flags.js";

export interface RuntimeStartOptions {
  contract: string;
  endpoint?: string;
  serviceCert?: string;
  platform: "virtual" | "snp";
  snpSidecar?: string;
  hostData?: string;
  tokenAudience?: string;
  pollMs?: number;
  memoryLimit?: string;
  threads?: number;
}

export interface RuntimeStarted extends LaunchRecord {
  profile: string;
  /** False when it was running already. */
  started: boolean;
  /** Whether the contract's accepted policy lists this measurement (null: unknown). */
  allowedByPolicy: boolean | null;
}

/** The governance endpoint and the service certificate file the agent pins. */
function target(ctx: Context, profile: Profile, options: RuntimeStartOptions) {
  if ((options.endpoint === undefined) !== (options.serviceCert === undefined)) {
    throw new UserError(
      "--endpoint and --service-cert go together",
      "pass both (another CCF network and its service certificate), or neither to use the profile's consortium",
      "UsageError",
    );
  }
  if (options.endpoint !== undefined) {
    readServiceCert(options.serviceCert!);
    return {
      endpoint: checkEndpoint(options.endpoint),
      serviceCert: resolve(options.serviceCert!),
    };
  }
  if (profile.endpoint === undefined) {
    throw new UserError(
      `profile '${profile.name}' has no consortium endpoint`,
      "create the consortium first (`cleanroom consortium create`), or pass --endpoint and --service-cert",
      "NoEndpoint",
    );
  }
  ctx.store.serviceCertPem(profile); // a one-line error if it is not pinned
  return {
    endpoint: profile.endpoint,
    serviceCert: join(ctx.store.dir(profile.name), profile.serviceCert!),
  };
}

function agentArgs(
  options: RuntimeStartOptions,
  where: { endpoint: string; serviceCert: string },
  workspace: string,
) {
  const args = [
    ...RUNTIME_NODE_FLAGS,
    AGENT_MAIN,
    "--contract",
    options.contract,
    "--endpoint",
    where.endpoint,
    "--service-cert",
    where.serviceCert,
    "--workspace",
    workspace,
    "--platform",
    options.platform,
  ];
  const optional: [string, string | number | undefined][] = [
    ["--snp-sidecar", options.snpSidecar],
    ["--host-data", options.hostData],
    ["--token-audience", options.tokenAudience],
    ["--poll-ms", options.pollMs],
    ["--memory-limit", options.memoryLimit],
    ["--threads", options.threads],
  ];
  for (const [flag, value] of optional) if (value !== undefined) args.push(flag, String(value));
  return args;
}

/** Whether the contract's accepted policy lists `measurement`; null when it cannot be read. */
async function allowedByPolicy(ctx: Context, profile: Profile, contractId: string, m: string) {
  const client = ctx.governance(profile);
  try {
    const policy = (await client.app.contract(contractId)).accepted?.document.policy;
    return policy ? policy.measurements.includes(m) : null;
  } catch {
    return null;
  } finally {
    client.close();
  }
}

function describe(ctx: Context, view: RuntimeStarted): string {
  const { bold, yellow } = ctx.out.style;
  const c = view.contractId;
  const lines = [
    view.started
      ? `Started the clean room for contract ${bold(c)} (${view.platform}).`
      : `The clean room for contract ${bold(c)} is already running.`,
    `Process:     ${view.pid}`,
    `Governance:  ${view.endpoint}`,
    `Measurement: ${view.measurement}`,
    `Workspace:   ${view.workspace}`,
  ];
  if (view.allowedByPolicy === false) {
    lines.push(
      yellow(
        `The contract's policy does not list this measurement: governance will refuse its claims. ` +
          `Members add it to the contract (\`cleanroom contract create ${c} …\`, then propose and vote).`,
      ),
    );
  }
  lines.push(
    `Follow it with \`cleanroom runtime status --contract ${c}\` and \`cleanroom runtime logs --contract ${c} --follow\`; stop it with \`cleanroom runtime stop --contract ${c}\`.`,
  );
  return lines.join("\n");
}

export async function runRuntimeStart(
  ctx: Context,
  options: RuntimeStartOptions,
): Promise<RuntimeStarted> {
  checkContractId(options.contract);
  const profile = ctx.profile();
  const running = runningRuntime(ctx.store, profile, options.contract);
  let record: LaunchRecord;
  if (running) {
    record = running;
  } else {
    const where = target(ctx, profile, options);
    const workspace = runtimeWorkspace(ctx.store, profile, options.contract);
    makeWorkspace(workspace);
    const log = join(workspace, PROCESS_LOG);
    ctx.out.note(`Starting the clean room for ${options.contract} …`);
    const ready = await launchDetached({
      what: "the clean room",
      args: agentArgs(options, where, workspace),
      log,
      ready: (value) =>
        value["ready"] === true && typeof value["pid"] === "number"
          ? { pid: value["pid"], measurement: String(value["measurement"]) }
          : undefined,
      failure: (value) =>
        value["ready"] === false && typeof value["error"] === "string" ? value["error"] : undefined,
      failureCode: "RuntimeFailed",
      timeoutCode: "RuntimeTimeout",
    });
    record = {
      contractId: options.contract,
      pid: ready.pid,
      endpoint: where.endpoint,
      platform: options.platform,
      measurement: ready.measurement,
      workspace,
      log,
      startedAt: new Date().toISOString(),
    };
    writeLaunch(record);
  }
  const view: RuntimeStarted = {
    profile: profile.name,
    ...record,
    started: running === undefined,
    allowedByPolicy: await allowedByPolicy(ctx, profile, record.contractId, record.measurement),
  };
  ctx.out.result(view, describe(ctx, view));
  return view;
}

export function runtimeStartCommand(): Command {
  return defineCommand("start", {
    summary: "start the local clean room for a contract",
    description: `Starts the clean-room agent for one contract as a background process next to
      the consortium: it computes its measurement, then claims the contract's requested runs
      with attestation evidence bound to a fresh key per run, obtains the dataset keys, runs the
      approved query and writes the encrypted output (docs/runtime.md). Its workspace — status
      file, JSON-lines log, journal of claimed runs — lives in this profile's folder.

      It talks to the profile's consortium (or --endpoint with --service-cert). The virtual
      platform proves nothing and works only with contracts that allow virtual attestation;
      --platform snp asks an attestation sidecar (--snp-sidecar) inside a confidential container.
      Running it again while it runs just shows it. The contract's policy must list the
      measurement it prints, which covers the build and its configuration (platform,
      --memory-limit, --threads): \`cleanroom contract policy verify\` recomputes it.`,
    examples: [
      "cleanroom runtime start --contract collab",
      "cleanroom runtime start --contract collab --endpoint https://ccf.example.com --service-cert service_cert.pem --json",
      "cleanroom runtime start --contract collab --platform snp --snp-sidecar http://127.0.0.1:8900",
    ],
  })
    .requiredOption("--contract <id>", "the contract whose runs it executes")
    .option("--endpoint <url>", "another governance service (default: the profile's)")
    .option("--service-cert <file>", "that service's certificate (PEM), to pin")
    .addOption(
      new Option("--platform <platform>", "attestation platform")
        .choices(["virtual", "snp"])
        .default("virtual"),
    )
    .option("--snp-sidecar <url>", "snp: the attestation sidecar's URL")
    .option("--host-data <hex>", "virtual: the host data to claim, if the policy lists some")
    .option("--token-audience <aud>", "obtain an OIDC token for this audience in every run")
    .option("--poll-ms <ms>", "how often it looks for requested runs", integer(10, 60_000))
    .option("--memory-limit <size>", "DuckDB's memory limit, e.g. 4GB (part of the measurement)")
    .option("--threads <n>", "DuckDB's threads (part of the measurement)", integer(1, 1024))
    .action(async (options: RuntimeStartOptions, command: Command) => {
      await runRuntimeStart(contextOf(command), options);
    });
}
