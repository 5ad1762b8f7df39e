// Consent switches (issue 5, item 4): a dataset's owner switches execution and telemetry for its
// dataset; each approver of a query for that query. Absent switches are on (approving is
// consenting); the contract's own switches are set by members by proposal. Key releases read
// them live, so a change takes effect at the next key request.
import type { Request, Response } from "@microsoft/ccf-app";
import { datasetsOf } from "../../../contracts/src/query.js";
import { contractSwitches } from "../lib/contracts.js";
import {
  datasetKey,
  datasets,
  nowSeconds,
  queries,
  queryKey,
  readQueryVersion,
  requireContractCaller,
  switchKey,
  switches,
  versionField,
  type StoredSwitches,
} from "../lib/approvals.js";
import { badRequest, endpoint, forbidden, notFound } from "../lib/errors.js";
import { recordEvent } from "../lib/events.js";
import { jsonBody, pathParam } from "../lib/http.js";
import { audited } from "../lib/refusals.js";

type Kind = "dataset" | "query";

/** The switches in a body `{execution?, telemetry?, version?}`: at least one of the two. */
function switchesOf(body: Record<string, unknown>): {
  execution?: boolean;
  telemetry?: boolean;
  version?: string;
} {
  const unknown = Object.keys(body).filter(
    (k) => k !== "execution" && k !== "telemetry" && k !== "version",
  );
  if (unknown.length > 0) {
    throw badRequest(
      "InvalidConsent",
      `Unknown properties ${unknown.join(", ")}: send {execution?, telemetry?, version?}.`,
    );
  }
  const out: { execution?: boolean; telemetry?: boolean; version?: string } = {};
  for (const name of ["execution", "telemetry"] as const) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== "boolean")
      throw badRequest("InvalidConsent", `'${name}' must be a boolean.`);
    out[name] = value;
  }
  if (out.execution === undefined && out.telemetry === undefined) {
    throw badRequest("InvalidConsent", "Send 'execution' and/or 'telemetry' (true or false).");
  }
  const version = versionField(body);
  if (version !== undefined) out.version = version;
  return out;
}

/** Who holds switches on a dataset (its owner) or a query (every approver of any version). */
function holdersOf(contractId: string, kind: Kind, id: string): string[] {
  if (kind === "dataset") {
    const dataset = datasets.get(datasetKey(contractId, id));
    if (!dataset) throw notFound("DatasetNotFound", `There is no dataset ${id} in ${contractId}.`);
    return [dataset.owner];
  }
  const query = queries.get(queryKey(contractId, id));
  if (!query) throw notFound("QueryNotFound", `There is no query ${id} in ${contractId}.`);
  return query.approverIds;
}

function switchView(contractId: string, kind: Kind, id: string, principalId: string): object {
  const stored = switches.getVersioned(switchKey(contractId, kind, id, principalId));
  return {
    principalId,
    execution: stored?.value.execution !== false,
    telemetry: stored?.value.telemetry !== false,
    ...(stored ? { updatedAt: stored.value.updatedAt, version: stored.version } : {}),
  };
}

function putSwitches(kind: Kind) {
  return endpoint((request: Request): Response => {
    const contractId = pathParam(request, "contractId");
    const { caller } = requireContractCaller(request, contractId);
    const id = pathParam(request, kind === "dataset" ? "datasetId" : "queryId");
    return audited(contractId, caller.id, `consent.${kind}`, id, () => {
      const { version, ...requested } = switchesOf(jsonBody(request));
      const holders = holdersOf(contractId, kind, id);
      if (!holders.includes(caller.id)) {
        throw kind === "dataset"
          ? forbidden(
              "NotTheOwner",
              `Only the owner of dataset ${id} (${holders[0]}) switches its consent.`,
            )
          : forbidden("NotAnApprover", `Only an approver of query ${id} switches its consent.`);
      }
      const key = switchKey(contractId, kind, id, caller.id);
      const current = switches.get(key);
      const record: StoredSwitches = {
        ...(current?.execution !== undefined ? { execution: current.execution } : {}),
        ...(current?.telemetry !== undefined ? { telemetry: current.telemetry } : {}),
        ...requested,
        updatedAt: nowSeconds(),
      };
      // 409 VersionRequired / 412 PreconditionFailed before anything is written.
      switches.replace(key, record, version, `Your consent on ${kind} ${id}`);
      recordEvent(contractId, "governance", {
        type: `consent.${kind}.changed`,
        actor: caller.id,
        subject: id,
        details: { ...requested },
      });
      return {
        body: {
          principalId: caller.id,
          execution: record.execution !== false,
          telemetry: record.telemetry !== false,
          updatedAt: record.updatedAt,
        },
      };
    });
  });
}

/** PUT /contracts/{contractId}/consent/datasets/{datasetId} — `{execution?, telemetry?, version?}` */
export const putDatasetConsent = putSwitches("dataset");

/** PUT /contracts/{contractId}/consent/queries/{queryId} — `{execution?, telemetry?, version?}` */
export const putQueryConsent = putSwitches("query");

/** GET /contracts/{contractId}/consent/datasets/{datasetId} — the owner's switches. */
export const getDatasetConsent = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  requireContractCaller(request, contractId);
  const datasetId = pathParam(request, "datasetId");
  const [owner] = holdersOf(contractId, "dataset", datasetId);
  return {
    body: {
      contractId,
      datasetId,
      owner,
      switches: switchView(contractId, "dataset", datasetId, owner!),
      contract: contractSwitches(contractId),
    },
  };
});

/**
 * GET /contracts/{contractId}/consent/queries/{queryId} — every approver's switches for the
 * query, the owners' switches for each dataset of its latest version, and the contract's.
 */
export const getQueryConsent = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  requireContractCaller(request, contractId);
  const queryId = pathParam(request, "queryId");
  const approvers = holdersOf(contractId, "query", queryId);
  const latest = readQueryVersion(
    contractId,
    queryId,
    queries.get(queryKey(contractId, queryId))!.latestVersion,
  );
  const datasetSwitches = latest
    ? datasetsOf(latest.document).map((datasetId) => {
        const owner = datasets.get(datasetKey(contractId, datasetId))?.owner;
        return {
          datasetId,
          ...(owner ? switchView(contractId, "dataset", datasetId, owner) : { missing: true }),
        };
      })
    : [];
  return {
    body: {
      contractId,
      queryId,
      approvers: approvers.map((id) => switchView(contractId, "query", queryId, id)),
      datasets: datasetSwitches,
      contract: contractSwitches(contractId),
    },
  };
});
