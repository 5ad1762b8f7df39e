// Phase 4: woodgrove proposes a query over both datasets; northwind reviews what it would reveal
// (the SQL, the fields the clean room may read, the thresholds, the runtime policy); both owners
// approve, and only then may it run.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CommandFailed, errorOf, type CliResult } from "../cli.js";
import { CONTRACT, type World } from "../world.js";
import { AUDIENCE, CUSTOMERS, OUTPUT } from "./data.js";

export interface QueryPlan {
  queryId: string;
  sql: string;
  /** Extra `query create` flags: thresholds and preconditions. */
  rules: string[];
}

interface Proposed {
  version: string;
  state: string;
  approvers: string[];
}

interface Review {
  datasets: { datasetId: string; allowedFields: string[] }[];
}

/** Woodgrove proposes the query (the result is returned, also when it is refused). */
export async function proposeQuery(world: World, plan: QueryPlan): Promise<CliResult> {
  const sqlFile = join(world.folder("woodgrove"), `${plan.queryId}.sql`);
  writeFileSync(sqlFile, plan.sql);
  return world.journal.step(
    "woodgrove",
    `query create ${plan.queryId} ${plan.rules.join(" ")}`.trimEnd(),
    () =>
      world.woodgrove.run([
        "query",
        "create",
        CONTRACT,
        plan.queryId,
        "--sql",
        sqlFile,
        "--input",
        `${AUDIENCE}:audience`,
        "--input",
        `${CUSTOMERS}:customers`,
        "--output",
        OUTPUT,
        ...plan.rules,
        "--json",
      ]),
    (r) => {
      if (r.code !== 0) return `refused: ${errorOf(r).error}`;
      const q = JSON.parse(r.stdout) as Proposed;
      return `version ${q.version}, ${q.state}, ${q.approvers.length} approvers`;
    },
  );
}

/** Northwind reviews the proposed query; both owners approve it. */
export async function approveQuery(world: World, queryId: string): Promise<void> {
  const { journal, northwind, woodgrove } = world;
  const review = await journal.step(
    "northwind",
    `query review ${queryId}`,
    () => northwind.json<Review>(["query", "review", CONTRACT, queryId]),
    (r) =>
      `may read ${r.datasets.find((d) => d.datasetId === AUDIENCE)?.allowedFields.join(", ")} ` +
      `of ${AUDIENCE}`,
  );
  const audienceFields = review.datasets.find((d) => d.datasetId === AUDIENCE)?.allowedFields;
  journal.check(
    `${queryId} review`,
    review.datasets.length === 3 && audienceFields?.includes("device_id") === false,
    "it reads both inputs and writes woodgrove's output; device_id is not readable",
  );
  await journal.step("northwind", `query approve ${queryId}`, () =>
    northwind.json(["query", "approve", CONTRACT, queryId]),
  );
  const approved = await journal.step(
    "woodgrove",
    `query approve ${queryId}`,
    () => woodgrove.json<{ state: string }>(["query", "approve", CONTRACT, queryId]),
    (q) => q.state,
  );
  journal.check(`${queryId} approved`, approved.state === "Accepted", "Accepted by both owners");
}

/** Proposal, review and both approvals; throws when the proposal is refused. */
export async function agreeQuery(world: World, plan: QueryPlan): Promise<void> {
  const proposed = await proposeQuery(world, plan);
  if (proposed.code !== 0) throw new CommandFailed("woodgrove", ["query", "create"], proposed);
  await approveQuery(world, plan.queryId);
}
