/**
 * `cleanroom status`: where the current persona stands with its consortium and what it still has
 * to do. Who the service takes it for (GET /app/me over mTLS); for a member, its activation, its
 * invitations and the open proposals awaiting its vote; for every contract it sees, the queries
 * awaiting its approval, its datasets not yet published or granted, and runs in progress or
 * recently ended. Every "to do" comes with the command that does it.
 */
import type { Command } from "commander";
import type { ContractSummary, GovernanceClient } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import type { Profile } from "../../profile/store.js";
import { contractStanding, contractTodos, type ContractStanding, type Todo } from "./contracts.js";
import { memberStanding, memberTodos, type MemberStanding } from "./consortium.js";
import { describeStatus } from "./describe.js";
import { runtimeTodos } from "./runtime.js";

export type { Todo } from "./contracts.js";

export interface StatusView {
  profile: string;
  endpoint: string;
  serviceStatus: string;
  kind: "member" | "user";
  id: string;
  displayName: string | null;
  /** A member's side: activation, invitations, open proposals (null for a user). */
  consortium: MemberStanding | null;
  contracts: ContractStanding[];
  /** What this persona should do next, each with its command. */
  todo: Todo[];
}

async function allContracts(client: GovernanceClient): Promise<ContractSummary[]> {
  const contracts: ContractSummary[] = [];
  for await (const c of client.app.items(client.app.listContracts({ limit: 100 }))) {
    contracts.push(c);
  }
  return contracts;
}

async function standings(
  ctx: Context,
  client: GovernanceClient,
  profile: Profile,
  me: string,
): Promise<ContractStanding[]> {
  const contracts = await allContracts(client);
  return Promise.all(
    contracts.map((c) =>
      contractStanding(client.app, c, me, ctx.store.listDatasetKeys(profile, c.contractId)),
    ),
  );
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
        `a member must invite it; then accept with \`cleanroom ${profile.kind ?? "user"} accept <invitationId> --code-file <file>\` (its id: ${profile.id.slice(0, 16)}…)`,
        "NotRegistered",
      );
    }
    const [consortium, contracts] = await Promise.all([
      me.kind === "member" ? memberStanding(client, me.id) : Promise.resolve(null),
      standings(ctx, client, profile, me.id),
    ]);
    const todo = [
      ...(consortium ? memberTodos(consortium) : []),
      ...contracts.flatMap(contractTodos),
      ...runtimeTodos(ctx, profile, contracts),
    ];
    const view: StatusView = {
      profile: profile.name,
      endpoint: origin,
      serviceStatus: network.body.service_status ?? "Unknown",
      kind: me.kind,
      id: me.id,
      displayName: (me.kind === "user" ? me.displayName : undefined) ?? null,
      consortium,
      contracts,
      todo,
    };
    ctx.out.result(view, describeStatus(view, ctx.out.style).join("\n"));
    return view;
  } finally {
    client.close();
  }
}

export function statusCommand(): Command {
  return defineCommand("status", {
    summary: "show where the current persona stands and what it still has to do",
    description:
      "Connects to the profile's consortium with the profile's own certificate (mutual TLS,\n" +
      "pinned service certificate) and shows what the service knows of this persona (member or\n" +
      "user, its id, the service's status), then what it still has to do, each with the command\n" +
      "to run: for a member, activating itself, adding members who accepted its invitations and\n" +
      "voting on open proposals; for everyone, approving queries that wait for its vote,\n" +
      "publishing and granting access to its datasets, fetching finished outputs of its sinks,\n" +
      "and for an operator, starting the clean room for requested runs. It also lists what waits\n" +
      "on others: open invitations, votes still missing, runs in progress and runs that ended\n" +
      "in the last 24 hours.\n\n" +
      "--json gives the same as one document (`todo` holds the commands). Fails with a hint when\n" +
      "the consortium cannot be reached or has not registered this persona yet.",
    examples: [
      "cleanroom status",
      "cleanroom status --profile northwind",
      "CLEANROOM_PROFILE=contoso cleanroom status --json",
    ],
  }).action(async (_options: unknown, command: Command) => {
    await runStatus(contextOf(command));
  });
}
