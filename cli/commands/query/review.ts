/**
 * `cleanroom query review`: everything an approver agrees to by approving a query version — its
 * SQL, the datasets it reads and the fields it may see, what it writes, its thresholds and
 * preconditions, the clean-room runtimes that may run it, and who has voted.
 */
import type { Command } from "commander";
import type { CleanRoomPolicy } from "../../../contracts/src/contract.js";
import type { DatasetRecord } from "../../../contracts/src/dataset.js";
import type { QueryVersion } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { resolveVersion, versionNumber, voteSummary, when } from "./shared.js";
import { hinted } from "./hints.js";

export interface ReviewDataset {
  datasetId: string;
  role: "input" | "output";
  view?: string;
  revision: number;
  owner: string;
  ownerName?: string;
  fields: { name: string; type: string }[];
  allowedFields: string[];
  location: string;
}

export interface QueryReview {
  query: QueryVersion;
  datasets: ReviewDataset[];
  policy: (CleanRoomPolicy & { contractVersion: string }) | null;
  votes: { approverId: string; name?: string; vote: "accept" | "reject" | null }[];
}

function locationOf(record: DatasetRecord): string {
  const l = record.document.location as unknown as Record<string, string>;
  switch (l["kind"]) {
    case "azure-blob":
      return `Azure Blob ${l["accountUrl"] ?? ""}/${l["container"] ?? ""}`;
    case "s3":
      return `S3 bucket ${l["bucket"] ?? ""}`;
    default:
      return `${l["kind"] ?? "unknown"} ${l["path"] ?? ""}`.trim();
  }
}

export async function runQueryReview(
  ctx: Context,
  contractId: string,
  queryId: string,
  version?: string,
): Promise<QueryReview> {
  const client = ctx.governance();
  try {
    const query = await resolveVersion(client.app, contractId, queryId, version);
    const contract = await client.app.contract(contractId);
    const participants = [
      ...(contract.accepted?.document.participants ?? []),
      ...(contract.draft?.document.participants ?? []),
    ];
    const nameOf = (id: string) => participants.find((p) => p.id === id)?.name;
    const { document } = query;
    const roles: { datasetId: string; role: "input" | "output"; view?: string }[] = [
      ...document.inputs.map((i) => ({
        datasetId: i.datasetId,
        role: "input" as const,
        view: i.view,
      })),
      { datasetId: document.output.datasetId, role: "output" },
    ];
    const datasets: ReviewDataset[] = [];
    for (const { datasetId, role, view } of roles) {
      const record = await client.app.dataset(
        contractId,
        datasetId,
        query.datasetRevisions[datasetId],
      );
      const entry: ReviewDataset = {
        datasetId,
        role,
        revision: record.revision,
        owner: record.owner,
        fields: record.document.schema.map((f) => ({ name: f.name, type: String(f.type) })),
        allowedFields: record.document.allowedFields,
        location: locationOf(record),
      };
      if (view !== undefined) entry.view = view;
      const ownerName = nameOf(record.owner);
      if (ownerName !== undefined) entry.ownerName = ownerName;
      datasets.push(entry);
    }
    const accepted = contract.accepted;
    const policy = accepted
      ? { ...accepted.document.policy, contractVersion: accepted.version }
      : null;
    const votes = query.approvers.map((approverId) => {
      const name = nameOf(approverId);
      return {
        approverId,
        ...(name !== undefined ? { name } : {}),
        vote: query.ballots[approverId]?.vote ?? null,
      };
    });
    const review: QueryReview = { query, datasets, policy, votes };
    ctx.out.result(review, render(ctx, review, contractId));
    return review;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

function render(ctx: Context, review: QueryReview, contractId: string): string {
  const { bold, dim, yellow, green, red } = ctx.out.style;
  const { query, datasets, policy, votes } = review;
  const d = query.document;
  const who = (id: string, name?: string) => (name ? `${name} (${id})` : id);
  const proposer = votes.find((v) => v.approverId === query.proposerId)?.name;
  const lines: string[] = [
    bold(
      `Query ${query.queryId}, version ${query.version}, in contract ${contractId}: ${query.state}`,
    ) + (query.superseded ? yellow(" (a newer version exists)") : ""),
    `Proposed by ${who(query.proposerId, proposer)} at ${when(query.proposedAt)}`,
  ];
  if (d.description) lines.push(`Description: ${d.description}`);
  lines.push(
    "",
    bold(
      `SQL (${d.sql.length} statement${d.sql.length === 1 ? "" : "s"}, the last one's result is the output):`,
    ),
  );
  d.sql.forEach((segment, i) => {
    lines.push(`  -- ${i + 1}${segment.name ? ` (${segment.name})` : ""}`);
    for (const line of segment.statement.split("\n")) lines.push(`  ${line}`);
  });
  lines.push("", bold("Inputs (the clean room sees only each dataset's allowed fields):"));
  for (const ds of datasets.filter((x) => x.role === "input")) {
    lines.push(
      `  ${ds.datasetId} as view ${ds.view}, revision ${ds.revision}, owner ${who(ds.owner, ds.ownerName)}`,
      `    allowed fields: ${ds.allowedFields.join(", ")}`,
      `    schema: ${ds.fields.map((f) => `${f.name} ${f.type}`).join(", ")}`,
      `    location: ${ds.location}`,
    );
  }
  lines.push("", bold("Output:"));
  for (const ds of datasets.filter((x) => x.role === "output")) {
    lines.push(
      `  ${ds.datasetId}, revision ${ds.revision}, owner ${who(ds.owner, ds.ownerName)}`,
      `    fields: ${ds.fields.map((f) => `${f.name} ${f.type}`).join(", ")}`,
      `    location: ${ds.location}`,
    );
  }
  const parameters = Object.entries(d.parameters ?? {});
  lines.push(
    "",
    bold("Parameters: ") +
      (parameters.length === 0
        ? "none"
        : parameters
            .map(([n, p]) => `${n} (${p.type}${p.required ? ", required" : ""})`)
            .join(", ")),
  );
  const t = d.thresholds;
  lines.push(
    bold("Thresholds: ") +
      (t?.minGroupSize !== undefined
        ? `result groups with fewer than ${t.minGroupSize} rows are dropped (min group size ${t.minGroupSize}${t.groupBy ? `, grouped by ${t.groupBy.join(", ")}` : ""})`
        : yellow("none: every result row is released")),
  );
  const minRows = d.preconditions?.minRowsPerView;
  lines.push(
    bold("Preconditions: ") +
      (minRows !== undefined
        ? `every input view has at least ${minRows} rows (min rows ${minRows})`
        : "none"),
  );
  lines.push("", bold("Runtime policy (who may run it):"));
  if (!policy) {
    lines.push(yellow("  the contract is not accepted: no clean room may run anything yet"));
  } else {
    lines.push(`  contract version ${policy.contractVersion}`, "  allowed measurements:");
    for (const m of policy.measurements) lines.push(`    ${m}`);
    lines.push(
      `  host data: ${policy.hostData && policy.hostData.length > 0 ? policy.hostData.join(", ") : "any"}`,
      `  virtual attestation: ${policy.allowVirtual ? red("allowed (insecure: development only)") : "not allowed"}`,
    );
  }
  lines.push("", bold(`Votes (${voteSummary(query)}):`));
  for (const vote of votes) {
    const ballot = query.ballots[vote.approverId];
    const limits = ballot
      ? [
          ballot.expiresAt !== undefined ? `until ${when(ballot.expiresAt)}` : "",
          ballot.runQuota !== undefined ? `${ballot.runQuota} run(s)` : "",
        ].filter(Boolean)
      : [];
    const state =
      vote.vote === "accept"
        ? green("approved")
        : vote.vote === "reject"
          ? red("rejected")
          : dim("not voted");
    lines.push(
      `  ${who(vote.approverId, vote.name)}: ${state}${limits.length ? ` (${limits.join(", ")})` : ""}`,
    );
  }
  lines.push(`Runs so far: ${query.runsUsed}`);
  return lines.join("\n");
}

export function queryReviewCommand(): Command {
  return defineCommand("review", {
    summary: "show everything you agree to by approving a query",
    description: `Renders a query version as an approver must judge it: its SQL, every dataset it
      reads with the fields the clean room may see, the dataset it writes, its thresholds and
      preconditions, the contract's runtime policy (the measurements of the clean rooms allowed
      to run it, host data, whether insecure virtual attestation is allowed), and who has voted.
      The latest version unless --query-version names another.`,
    examples: [
      "cleanroom query review analytics overlap",
      "cleanroom query review analytics overlap --query-version 2 --json",
    ],
  })
    .argument("<contractId>", "the contract")
    .argument("<queryId>", "the query")
    .option("--query-version <n>", "the version to review (default: the latest)", versionNumber)
    .action(
      async (
        contractId: string,
        queryId: string,
        options: { queryVersion?: string },
        command: Command,
      ) => {
        await runQueryReview(contextOf(command), contractId, queryId, options.queryVersion);
      },
    );
}
