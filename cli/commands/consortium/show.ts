/** `cleanroom consortium show`: the service, its status and members, and the local process. */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { isSandbox } from "./process.js";

export interface ConsortiumView {
  profile: string;
  url: string;
  serviceStatus: string;
  currentView: number | null;
  members: { memberId: string; status: string; you: boolean }[];
  pid: number | null;
  workspace: string | null;
}

export async function runConsortiumShow(ctx: Context): Promise<ConsortiumView> {
  const profile = ctx.profile();
  const local = profile.consortium;
  if (local?.pid !== undefined && !isSandbox(local.pid)) {
    throw new UserError(
      `the sandbox of profile '${profile.name}' (pid ${local.pid}) is not running`,
      "start it again with `cleanroom consortium create` (it keeps its ledger)",
      "NotRunning",
    );
  }
  if (local && local.pid === undefined) {
    throw new UserError(
      `the sandbox of profile '${profile.name}' is stopped`,
      "start it again with `cleanroom consortium create` (it keeps its ledger)",
      "NotRunning",
    );
  }
  const client = ctx.governance(profile);
  try {
    const network = (
      await client.transport.request<{ service_status?: string; current_view?: number }>({
        method: "GET",
        path: "/node/network",
      })
    ).body;
    const members = await client.gov.members();
    const view: ConsortiumView = {
      profile: profile.name,
      url: client.transport.origin,
      serviceStatus: network.service_status ?? "Unknown",
      currentView: network.current_view ?? null,
      members: members.map((m) => ({
        memberId: m.memberId,
        status: m.status,
        you: m.memberId === profile.id,
      })),
      pid: local?.pid ?? null,
      workspace: local?.workspace ?? null,
    };
    const { bold, green, yellow } = ctx.out.style;
    const status =
      view.serviceStatus === "Open" ? green(view.serviceStatus) : yellow(view.serviceStatus);
    const lines = [
      `Consortium ${bold(view.url)} — service ${status}`,
      `Members (${view.members.length}):`,
      ...view.members.map((m) => `  ${m.memberId}  ${m.status}${m.you ? " (you)" : ""}`),
    ];
    if (view.pid !== null)
      lines.push(`Local sandbox: pid ${view.pid}, workspace ${view.workspace}`);
    ctx.out.result(view, lines.join("\n"));
    return view;
  } finally {
    client.close();
  }
}

export function consortiumShowCommand(): Command {
  return defineCommand("show", {
    summary: "show the consortium: service status, members, local process",
    description:
      "Asks the profile's consortium for its service status (/node/network) and its members\n" +
      "(/gov/service/members), over TLS pinned to the profile's service certificate. For a\n" +
      "sandbox this profile started, also shows its process id and workspace.",
    examples: ["cleanroom consortium show", "cleanroom consortium show --profile operator --json"],
  }).action(async (_options: unknown, command: Command) => {
    await runConsortiumShow(contextOf(command));
  });
}
