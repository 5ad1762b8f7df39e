// Datasets of a contract (issue 5, item 3): a participant publishes a dataset and becomes its
// owner; only the owner publishes new revisions. Participants read them.
import type { Request, Response } from "@microsoft/ccf-app";
import {
  hasLabels,
  validateDatasetDocument,
  type DatasetDocument,
} from "../../../contracts/src/dataset.js";
import {
  datasetKey,
  datasetListName,
  datasetRevisionKey,
  datasets,
  nowSeconds,
  readDataset,
  requireContractCaller,
  type StoredDataset,
  idParam,
  versionField,
} from "../lib/approvals.js";
import { ApiError, badRequest, endpoint, forbidden, notFound } from "../lib/errors.js";
import { recordEvent } from "../lib/events.js";
import { intParam, jsonBody, pathParam, queryParams } from "../lib/http.js";
import { appendToList, listPage, pageBody } from "../lib/lists.js";
import { keks, unwrapDek } from "../lib/keys.js";
import { audited } from "../lib/refusals.js";

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

/** PUT /contracts/{contractId}/datasets/{datasetId} — body `{document, version?}`. */
export const putDataset = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  const { caller } = requireContractCaller(request, contractId);
  const datasetId = pathParam(request, "datasetId");
  return audited(contractId, caller.id, "dataset.publish", datasetId, () => {
    idParam(request, "datasetId");
    const body = jsonBody(request);
    const unknown = Object.keys(body).filter((k) => k !== "document" && k !== "version");
    if (unknown.length > 0) {
      throw badRequest(
        "InvalidDataset",
        `Unknown properties ${unknown.join(", ")}: send {document, version?}.`,
      );
    }
    const problems = validateDatasetDocument(body["document"]);
    if (problems.length > 0) {
      throw badRequest(
        "InvalidDataset",
        `The dataset document is invalid: ${problems.join("; ")}.`,
      );
    }
    const document = body["document"] as DatasetDocument;
    const version = versionField(body);

    if (!keks.has(document.encryption.kekId)) {
      throw new ApiError(
        409,
        "KekNotFound",
        `There is no key-encryption key ${document.encryption.kekId}: wrap the DEK to one listed by /app/keys.`,
      );
    }
    // A DEK that does not unwrap would only fail at the first run: refuse it now (409
    // DekUnwrapFailed). The unwrapped key is dropped at once; nothing of it is stored or logged.
    unwrapDek(document.encryption);
    const key = datasetKey(contractId, datasetId);
    const current = datasets.get(key);
    if (current && current.owner !== caller.id) {
      throw forbidden(
        "NotTheOwner",
        `Dataset ${datasetId} is owned by ${current.owner}: only its owner publishes new revisions.`,
      );
    }
    const record: StoredDataset = {
      contractId,
      datasetId,
      owner: caller.id,
      revision: (current?.revision ?? 0) + 1,
      document,
      publishedAt: nowSeconds(),
    };
    // Checks the version (409 VersionRequired / 412 PreconditionFailed) before writing anything.
    datasets.replace(key, record, version, `Dataset ${datasetId}`);
    datasets.set(datasetRevisionKey(contractId, datasetId, record.revision), record);
    if (!current) appendToList(datasetListName(contractId), datasetId);
    recordEvent(contractId, "governance", {
      type: "dataset.published",
      actor: caller.id,
      subject: datasetId,
      details: {
        revision: record.revision,
        format: document.format,
        location: document.location.kind,
        kekId: document.encryption.kekId,
        labels: document.labels ?? {},
      },
    });
    // The new version is this transaction's id: the x-ms-ccf-transaction-id response header.
    return { statusCode: current ? 200 : 201, body: record };
  });
});

/** GET /contracts/{contractId}/datasets/{datasetId}[?revision=n] */
export const getDataset = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  requireContractCaller(request, contractId);
  const datasetId = pathParam(request, "datasetId");
  const revision = intParam(queryParams(request), "revision", 0, 1, 1_000_000_000);
  const current = readDataset(contractId, datasetId);
  if (!current)
    throw notFound("DatasetNotFound", `There is no dataset ${datasetId} in ${contractId}.`);
  if (revision === 0 || revision === current.revision) return { body: current };
  const older = datasets.getVersioned(datasetRevisionKey(contractId, datasetId, revision));
  if (!older || revision > current.revision) {
    throw notFound("DatasetNotFound", `Dataset ${datasetId} has no revision ${revision}.`);
  }
  return { body: { ...older.value, version: older.version } };
});

/** `label=k:v[,k2:v2]` as a filter, or 400. */
function labelFilter(raw: string | undefined): Record<string, string> {
  const filter: Record<string, string> = {};
  if (raw === undefined) return filter;
  for (const pair of raw.split(",")) {
    const colon = pair.indexOf(":");
    if (colon <= 0) throw badRequest("InvalidParameter", "'label' must be key:value[,key:value…].");
    filter[pair.slice(0, colon)] = pair.slice(colon + 1);
  }
  return filter;
}

/**
 * GET /contracts/{contractId}/datasets[?label=k:v][&start&limit]. A page covers `limit` datasets
 * in order of first publication; the label filter applies within the page, so a page may hold
 * fewer items (even none) and still have a `nextLink`: follow it to the end.
 */
export const listDatasets = endpoint((request: Request): Response => {
  const contractId = pathParam(request, "contractId");
  requireContractCaller(request, contractId);
  const params = queryParams(request);
  const start = intParam(params, "start", 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(params, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
  const labels = params.get("label");
  const filter = labelFilter(labels);
  const page = listPage(datasetListName(contractId), start, limit);
  const value = page.items
    .map((id) => readDataset(contractId, id))
    .filter((d) => d !== undefined && hasLabels(d.document, filter));
  const path =
    `/app/contracts/${encodeURIComponent(contractId)}/datasets` +
    (labels === undefined ? "" : `?label=${encodeURIComponent(labels)}`);
  return { body: pageBody(value, page, path, limit) };
});
