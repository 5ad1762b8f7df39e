/** What `consent enable` and `consent disable` share: set one switch on a dataset or a query. */
import type { ConsentSet } from "../../../client/governance/index.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { hinted } from "../query/hints.js";

export interface ConsentTarget {
  dataset?: string;
  query?: string;
}

export interface ConsentOptions extends ConsentTarget {
  telemetry?: boolean;
}

export type ConsentChanged = ConsentSet & {
  contractId: string;
  target: "dataset" | "query";
  id: string;
  switch: "execution" | "telemetry";
  transactionId: string;
};

/** The one dataset or query the options name. */
export function targetOf(options: ConsentTarget): { target: "dataset" | "query"; id: string } {
  if ((options.dataset === undefined) === (options.query === undefined)) {
    throw new UserError(
      "name either a dataset or a query",
      "pass --dataset <datasetId> (as its owner) or --query <queryId> (as one of its approvers)",
      "UsageError",
    );
  }
  return options.dataset !== undefined
    ? { target: "dataset", id: options.dataset }
    : { target: "query", id: options.query! };
}

export async function setConsent(
  ctx: Context,
  contractId: string,
  options: ConsentOptions,
  on: boolean,
): Promise<ConsentChanged> {
  const { target, id } = targetOf(options);
  const which = options.telemetry ? "telemetry" : "execution";
  const client = ctx.governance();
  try {
    // Changing a switch set before needs its current version (read it, as the caller).
    const me = ctx.profile().id;
    let current: string | undefined;
    if (target === "dataset") {
      const consent = await client.app.datasetConsent(contractId, id);
      if (consent.owner === me) current = consent.switches["version"] as string | undefined;
    } else {
      const consent = await client.app.queryConsent(contractId, id);
      current = consent.approvers.find((a) => a.principalId === me)?.["version"] as
        string | undefined;
    }
    const switches = { [which]: on, ...(current !== undefined ? { version: current } : {}) };
    const written =
      target === "dataset"
        ? await client.app.setDatasetConsent(contractId, id, switches)
        : await client.app.setQueryConsent(contractId, id, switches);
    const result: ConsentChanged = { ...written, contractId, target, id, switch: which };
    const effect =
      which === "execution"
        ? on
          ? "runs that use it may obtain its keys again (if every other switch is on)"
          : "no run that uses it can obtain keys from now on, including at a running run's next key request"
        : on
          ? "runs may report telemetry about it"
          : "runs report no telemetry about it";
    ctx.out.result(
      result,
      `${which === "execution" ? "Execution" : "Telemetry"} consent ${on ? "enabled" : "disabled"} for ${target} ${id} in ${contractId}: ${effect}.`,
    );
    return result;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}
