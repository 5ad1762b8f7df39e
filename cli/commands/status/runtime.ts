/** The operator's side of the status: requested runs and no local clean room to run them. */
import type { Context } from "../../context.js";
import type { Profile } from "../../profile/store.js";
import { runningRuntime, startedContracts } from "../runtime/local.js";
import type { ContractStanding, Todo } from "./contracts.js";

/**
 * For a member that runs the consortium here (`consortium create`) or has started clean rooms
 * here before: each contract with requested runs and no clean room running for it on this machine.
 */
export function runtimeTodos(
  ctx: Context,
  profile: Profile,
  contracts: readonly ContractStanding[],
): Todo[] {
  const operator =
    profile.consortium !== undefined || startedContracts(ctx.store, profile).length > 0;
  if (profile.kind !== "member" || !operator) return [];
  return contracts
    .filter((c) => c.runs.some((r) => r.state === "Requested"))
    .filter((c) => runningRuntime(ctx.store, profile, c.contractId) === undefined)
    .map((c) => ({
      contractId: c.contractId,
      what: "runs are requested and no clean room runs here for this contract: start one",
      command: `cleanroom runtime start --contract ${c.contractId}`,
    }));
}
