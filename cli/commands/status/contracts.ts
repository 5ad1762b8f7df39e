/**
 * Where each of the persona's contracts stands, from a few reads per contract (its queries, runs
 * and — when the persona owns some — datasets, each a paged list; then the runs worth showing):
 * what waits for this persona (a query to approve, a dataset to publish or grant, an output to
 * fetch) and what it waits for (approvals, runs in progress, recent failures).
 */
import type {
  AppClient,
  ContractSummary,
  Run,
  QuerySummary,
  RunSummary,
} from "../../../client/governance/index.js";
import { GovernanceError } from "../../../client/governance/index.js";
import type { DatasetRecord } from "../../../contracts/src/dataset.js";
import type { DatasetKeyFile } from "../../profile/store.js";
import { latestOf } from "../query/shared.js";

/** Something this persona should do, with the exact command that does it. */
export interface Todo {
  what: string;
  command: string;
  contractId?: string;
}

export interface QueryStanding {
  queryId: string;
  version: string;
  state: string;
  /** The dataset it writes. */
  output: string;
  /** Approvers who have not voted on this version yet. */
  waitingFor: string[];
  /** This persona's vote: pending (an approver that has not voted), or none (not an approver). */
  yourVote: "pending" | "accept" | "reject" | "none";
  youProposed: boolean;
}

export interface RunStanding {
  runId: string;
  queryId: string;
  state: Run["state"];
  /** When it was requested, or when it ended. */
  at: string;
  /** The dataset it writes. */
  output: string;
  reason?: string;
}

export interface DatasetStanding {
  datasetId: string;
  published: boolean;
  /** The location needs an access grant for the clean room (Azure Blob, S3). */
  needsGrant: boolean;
  /** Names of this persona's unexpired grants for it. */
  grants: string[];
}

export interface ContractStanding {
  contractId: string;
  state: ContractSummary["state"];
  /** False when this persona may not read the contract's queries and runs (not a participant). */
  participant: boolean;
  /** Queries whose latest version waits for votes. */
  queries: QueryStanding[];
  /** The datasets the contract's queries write (their owners grant write access). */
  sinks: string[];
  /** Runs in progress, and runs that ended within the recent window. */
  runs: RunStanding[];
  /** Datasets whose keys this persona holds. */
  datasets: DatasetStanding[];
}

/** Runs that ended longer ago than this are history, not news. */
export const RECENT_MS = 24 * 3600 * 1000;

async function all<T>(app: AppClient, first: Promise<{ value: T[]; nextLink?: string }>) {
  const items: T[] = [];
  for await (const item of app.items(first)) items.push(item);
  return items;
}

function queryStanding(view: QuerySummary, me: string): QueryStanding | undefined {
  const latest = latestOf(view);
  if (!latest || latest.state !== "Proposed") return undefined;
  const ballot = latest.ballots[me];
  return {
    queryId: view.queryId,
    version: latest.version,
    state: latest.state,
    output: latest.document.output.datasetId,
    waitingFor: latest.approvers.filter((id) => latest.ballots[id] === undefined),
    yourVote: !latest.approvers.includes(me) ? "none" : (ballot?.vote ?? "pending"),
    youProposed: latest.proposerId === me,
  };
}

const isEnded = (state: Run["state"]) => state === "Completed" || state === "Failed";

/** Runs worth a look: the latest in progress, and the latest ended ones. */
export const SHOWN_ACTIVE = 20;
export const SHOWN_ENDED = 5;

function candidates(runs: readonly RunSummary[]): RunSummary[] {
  const ended = runs.filter((r) => isEnded(r.state)).slice(-SHOWN_ENDED);
  return [...runs.filter((r) => !isEnded(r.state)).slice(-SHOWN_ACTIVE), ...ended];
}

function runStanding(run: Run, now: number): RunStanding | undefined {
  const ended =
    run.state === "Completed"
      ? run.result?.completedAt
      : run.state === "Failed"
        ? run.failure?.failedAt
        : undefined;
  if (ended !== undefined && now - Date.parse(ended) > RECENT_MS) return undefined;
  const standing: RunStanding = {
    runId: run.runId,
    queryId: run.queryId,
    state: run.state,
    at: ended ?? run.requestedAt,
    output: run.output,
  };
  if (run.failure) standing.reason = run.failure.reason;
  return standing;
}

function datasetStanding(
  file: DatasetKeyFile,
  published: ReadonlySet<string>,
  now: number,
): DatasetStanding {
  const kind = (file.document["location"] as { kind?: string } | undefined)?.kind;
  const grants = Object.entries(file.grants ?? {})
    .filter(([, g]) => Date.parse(g.expiresAt) > now)
    .map(([name]) => name);
  return {
    datasetId: file.datasetId,
    published: published.has(file.datasetId),
    needsGrant: kind === "azure-blob" || kind === "s3",
    grants,
  };
}

const isNotParticipant = (error: unknown) =>
  error instanceof GovernanceError && (error.status === 403 || error.status === 404);

/** One contract's standing: queries, runs, and (when the persona owns some) datasets. */
export async function contractStanding(
  app: AppClient,
  summary: ContractSummary,
  me: string,
  owned: readonly DatasetKeyFile[],
  now = Date.now(),
): Promise<ContractStanding> {
  const standing: ContractStanding = {
    contractId: summary.contractId,
    state: summary.state,
    participant: true,
    queries: [],
    sinks: [],
    runs: [],
    datasets: [],
  };
  const id = summary.contractId;
  if (summary.acceptedVersion === undefined) {
    standing.datasets = owned.map((f) => datasetStanding(f, new Set(), now));
    return standing;
  }
  try {
    // The largest pages governance serves: one request per list for most contracts.
    const [queries, runs, datasets] = await Promise.all([
      all(app, app.listQueries(id, { limit: 200 })),
      all(app, app.listRuns(id, { limit: 500 })),
      owned.length > 0
        ? all<DatasetRecord>(app, app.listDatasets(id, { limit: 200 }))
        : Promise.resolve([]),
    ]);
    standing.queries = queries.flatMap((q) => queryStanding(q, me) ?? []);
    standing.sinks = [
      ...new Set(queries.flatMap((q) => latestOf(q)?.document.output.datasetId ?? [])),
    ];
    // The list gives summaries: read in full only the runs worth showing.
    const full = await Promise.all(candidates(runs).map((r) => app.run(id, r.runId)));
    standing.runs = full.flatMap((r) => runStanding(r, now) ?? []);
    const published = new Set(datasets.filter((d) => d.owner === me).map((d) => d.datasetId));
    standing.datasets = owned.map((f) => datasetStanding(f, published, now));
  } catch (error) {
    if (!isNotParticipant(error)) throw error;
    standing.participant = false;
  }
  return standing;
}

/** What this persona has to do in one contract, each with its command. */
export function contractTodos(standing: ContractStanding): Todo[] {
  const c = standing.contractId;
  const todos: Todo[] = [];
  for (const q of standing.queries) {
    if (q.yourVote !== "pending") continue;
    todos.push({
      contractId: c,
      what: `review and vote on query ${q.queryId} version ${q.version}`,
      command: `cleanroom query review ${c} ${q.queryId} && cleanroom query approve ${c} ${q.queryId} --query-version ${q.version}`,
    });
  }
  const sinks = new Set(standing.sinks);
  for (const d of standing.datasets) {
    if (!d.published) {
      todos.push({
        contractId: c,
        what: `publish dataset ${d.datasetId} (encrypt and upload it first)`,
        command: `cleanroom dataset publish ${c} ${d.datasetId}`,
      });
    } else if (d.needsGrant && d.grants.length === 0) {
      const access = sinks.has(d.datasetId) ? "write" : "read";
      // 12h: the longest grant every backend mints (STS AssumeRole stops there).
      todos.push({
        contractId: c,
        what:
          `grant the clean room ${access} access to dataset ${d.datasetId} ` +
          "(add the storage credentials you upload with)",
        command: `cleanroom dataset grant ${c} ${d.datasetId} --${access} --expires 12h`,
      });
    }
  }
  const mine = new Set(standing.datasets.map((d) => d.datasetId));
  for (const r of standing.runs) {
    if (r.state === "Completed" && mine.has(r.output)) {
      todos.push({
        contractId: c,
        what: `the output of run ${r.runId} (query ${r.queryId}) is ready for you`,
        command: `cleanroom run output ${c} ${r.runId} --out ${r.queryId}-${r.runId}.csv`,
      });
    }
  }
  return todos;
}
