/** `cleanroom runtime status`: the local clean rooms, from their status files and processes. */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import {
  isAgent,
  readLaunch,
  runtimeWorkspace,
  startedContracts,
  type LaunchRecord,
} from "./local.js";
import { runtimeEntry, type RuntimeStatus } from "./runtime.js";

/** running: its process is alive; stopped: it stopped cleanly; died: it is gone without stopping. */
export type RuntimeState = "running" | "stopped" | "died" | "starting";

export interface RuntimeView {
  contractId: string;
  state: RuntimeState;
  pid: number | null;
  platform: string;
  measurement: string;
  endpoint: string;
  workspace: string;
  startedAt: string;
  /** From the agent's status file, once it wrote one. */
  connected: boolean | null;
  currentRun: RuntimeStatus["currentRun"] | null;
  counts: RuntimeStatus["counts"] | null;
  updatedAt: string | null;
}

function stateOf(launch: LaunchRecord, status: RuntimeStatus | undefined): RuntimeState {
  const alive = launch.pid !== undefined && isAgent(launch.pid, launch.contractId);
  if (alive)
    return status?.state === "running" && status.pid === launch.pid ? "running" : "starting";
  return status?.state === "running" ? "died" : "stopped";
}

/** What is known of the contract's clean room: its launch record and its status file. */
export async function runtimeView(launch: LaunchRecord, workspace: string): Promise<RuntimeView> {
  const status = (await runtimeEntry()).readStatus(workspace);
  const state = stateOf(launch, status);
  return {
    contractId: launch.contractId,
    state,
    pid: state === "running" || state === "starting" ? (launch.pid ?? null) : null,
    platform: launch.platform,
    measurement: launch.measurement,
    endpoint: launch.endpoint,
    workspace,
    startedAt: launch.startedAt,
    connected: status?.connected ?? null,
    currentRun: status?.currentRun ?? null,
    counts: status?.counts ?? null,
    updatedAt: status?.updatedAt ?? null,
  };
}

function describe(ctx: Context, v: RuntimeView): string {
  const { bold, green, red, yellow } = ctx.out.style;
  const state =
    v.state === "running"
      ? green("running")
      : v.state === "died"
        ? red("died (its process is gone without stopping: see its log)")
        : v.state === "starting"
          ? yellow("starting")
          : "stopped";
  const lines = [
    `Clean room for ${bold(v.contractId)}: ${state}${v.pid !== null ? ` (pid ${v.pid})` : ""}`,
    `  ${v.platform}, measurement ${v.measurement}`,
    `  governance ${v.endpoint}${v.connected === null ? "" : v.connected ? " (connected)" : " (unreachable)"}`,
  ];
  if (v.currentRun) {
    lines.push(
      `  running run ${v.currentRun.runId}${v.currentRun.phase ? `, phase ${v.currentRun.phase}` : ""} since ${v.currentRun.startedAt}`,
    );
  }
  if (v.counts) {
    const c = v.counts;
    lines.push(
      `  runs: ${c.claimed} claimed, ${c.completed} completed, ${c.failed} failed, ${c.claimsRefused} claims refused`,
    );
  }
  lines.push(`  workspace ${v.workspace}`);
  return lines.join("\n");
}

export async function runRuntimeStatus(
  ctx: Context,
  options: { contract?: string },
): Promise<RuntimeView[]> {
  const profile = ctx.profile();
  const contracts =
    options.contract !== undefined ? [options.contract] : startedContracts(ctx.store, profile);
  const views: RuntimeView[] = [];
  for (const contractId of contracts) {
    const workspace = runtimeWorkspace(ctx.store, profile, contractId);
    const launch = readLaunch(workspace);
    if (launch) views.push(await runtimeView(launch, workspace));
  }
  const none =
    options.contract !== undefined
      ? `No clean room was started for ${options.contract} with profile ${profile.name}: \`cleanroom runtime start --contract ${options.contract}\`.`
      : `Profile ${profile.name} has started no clean room: \`cleanroom runtime start --contract <id>\`.`;
  ctx.out.result(views, views.length > 0 ? views.map((v) => describe(ctx, v)).join("\n") : none);
  return views;
}

export function runtimeStatusCommand(): Command {
  return defineCommand("status", {
    summary: "show the local clean rooms and what they are doing",
    description: `Shows each clean room this profile started (or the one of --contract): whether
      its process runs, stopped cleanly or died, its platform and measurement, whether it reaches
      governance, the run it is executing and its phase, and how many runs it claimed,
      completed and failed — from the status file the agent keeps in its workspace.`,
    examples: ["cleanroom runtime status", "cleanroom runtime status --contract collab --json"],
  })
    .option("--contract <id>", "only the clean room of this contract")
    .action(async (options: { contract?: string }, command: Command) => {
      await runRuntimeStatus(contextOf(command), options);
    });
}
