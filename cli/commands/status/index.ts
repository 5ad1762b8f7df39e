/**
 * `cleanroom status`: where the current persona stands with its consortium. Starts with what the
 * service knows of it (GET /app/me over mTLS); later sections (invitations, votes, runs) add to
 * `StatusView`.
 */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";

export interface StatusView {
  profile: string;
  endpoint: string;
  serviceStatus: string;
  kind: "member" | "user";
  id: string;
  displayName: string | null;
}

export async function runStatus(ctx: Context): Promise<StatusView> {
  const profile = ctx.profile();
  const client = ctx.governance(profile);
  const origin = client.transport.origin;
  try {
    const network = await client.transport.request<{ service_status?: string }>({
      method: "GET",
      path: "/node/network",
    });
    const me = await client.app.me();
    if (me.kind === "anonymous" || !me.registered) {
      throw new UserError(
        `profile '${profile.name}' is not registered with the consortium at ${origin}`,
        `a member must invite it; then accept with \`cleanroom ${profile.kind ?? "user"} accept\` (its id: ${profile.id.slice(0, 16)}…)`,
        "NotRegistered",
      );
    }
    const view: StatusView = {
      profile: profile.name,
      endpoint: origin,
      serviceStatus: network.body.service_status ?? "Unknown",
      kind: me.kind,
      id: me.id,
      displayName: (me.kind === "user" ? me.displayName : undefined) ?? null,
    };
    const { bold } = ctx.out.style;
    const who = view.displayName ? `${view.displayName}, ` : "";
    ctx.out.result(
      view,
      `${bold(view.profile)}: ${view.kind} (${who}id ${view.id.slice(0, 12)}…) of ${view.endpoint}, service ${view.serviceStatus}`,
    );
    return view;
  } finally {
    client.close();
  }
}

export function statusCommand(): Command {
  return defineCommand("status", {
    summary: "show where the current persona stands with its consortium",
    description:
      "Connects to the profile's consortium with the profile's own certificate (mutual TLS,\n" +
      "pinned service certificate) and shows what the service knows of this persona: member or\n" +
      "user, its id, and the service's status. Fails with a hint when the consortium cannot be\n" +
      "reached or has not registered this persona yet.",
    examples: [
      "cleanroom status",
      "cleanroom status --profile northwind",
      "CLEANROOM_PROFILE=contoso cleanroom status --json",
    ],
  }).action(async (_options: unknown, command: Command) => {
    await runStatus(contextOf(command));
  });
}
