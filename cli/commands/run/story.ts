/**
 * A run's story from governance: its audit events (those whose details name the run) as lines for
 * people, and the trail read page by page from a position, so that following it reads only what
 * is new.
 */
import type { AppClient, AuditEvent, Run } from "../../../client/governance/index.js";
import { short } from "./shared.js";

/** Whether an event of the contract's trail is about `runId`. */
export const isAboutRun = (event: AuditEvent, runId: string): boolean =>
  event.details["runId"] === runId;

const counters = (value: unknown, unit = ""): string =>
  value !== null && typeof value === "object"
    ? Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${k} ${String(v)}${unit}`)
        .join(", ")
    : "";

/** What an event says, in words (no secret is ever in an event's details). */
export function eventStory(e: AuditEvent): string {
  const d = e.details;
  const text = (key: string) => (typeof d[key] === "string" ? (d[key] as string) : "?");
  switch (e.type) {
    case "run.requested":
      return `requested by ${short(e.actor)} (query ${text("queryId")} version ${text("queryVersion")})`;
    case "run.claimed":
      return `claimed by a ${text("platform")} clean room, measurement ${text("measurement")}`;
    case "key.released":
      return `key of dataset ${text("datasetId")} released${typeof d["role"] === "string" ? ` (${text("role")})` : ""}`;
    case "secret.released":
      return `access grant ${text("secretId")} released`;
    case "oidc.token.issued":
      return "token issued";
    case "run.progress": {
      const parts = [
        typeof d["phase"] === "string" ? `phase ${text("phase")}` : "progress",
        counters(d["rowCounts"]) && `rows: ${counters(d["rowCounts"])}`,
        counters(d["durationsMs"], " ms") && `took: ${counters(d["durationsMs"], " ms")}`,
      ];
      return parts.filter((p) => p).join("; ");
    }
    case "run.completed":
      return `completed; rows: ${counters(d["rowCounts"]) || "none"}`;
    case "run.failed":
      return `failed: ${text("reason")}`;
    default:
      if (e.type.endsWith(".refused")) {
        return `${e.type.slice(0, -".refused".length)} refused (${text("code")}): ${typeof d["reason"] === "string" ? text("reason") : text("message")}`;
      }
      return e.type;
  }
}

/** One line per event: the transaction that recorded it, its scope and what it says. */
export const eventLine = (e: AuditEvent): string =>
  `${e.transactionId.padEnd(9)} ${e.scope.padEnd(10)} ${eventStory(e)}`;

/** The run's own record, as lines: state, clean room, phases, rows, output or failure. */
export function runSummary(run: Run): string[] {
  const lines = [
    `Run ${run.runId} of query ${run.queryId} version ${run.queryVersion} in ${run.contractId}: ${run.state}`,
    `Requested ${run.requestedAt} by ${short(run.requestedBy)}; inputs ${run.inputs.map((i) => `${i.datasetId} as ${i.view}`).join(", ")}; output ${run.output}`,
  ];
  if (run.claim) {
    lines.push(
      `Clean room: ${run.claim.platform}, measurement ${run.claim.measurement}, claimed ${run.claim.claimedAt}`,
    );
  }
  const durations = run.result?.durationsMs ?? run.progress?.durationsMs;
  const rows = run.result?.rowCounts ?? run.progress?.rowCounts;
  if (run.progress?.phase && !run.result && !run.failure) {
    lines.push(`Phase:     ${run.progress.phase} (at ${run.progress.at})`);
  }
  if (durations && Object.keys(durations).length > 0) {
    lines.push(`Durations: ${counters(durations, " ms")}`);
  }
  if (rows && Object.keys(rows).length > 0) lines.push(`Rows:      ${counters(rows)}`);
  for (const d of run.result?.outputDigests ?? []) {
    lines.push(`Output:    ${d.datasetId}/${d.object} sha256 ${d.sha256}`);
  }
  if (run.result) lines.push(`Completed: ${run.result.completedAt}`);
  if (run.failure) lines.push(`Failed:    ${run.failure.failedAt}: ${run.failure.reason}`);
  return lines;
}

const PAGE = 500;

/**
 * The contract's events from trail position `from` on, page after page: the events about the
 * run, and the position to read from next time.
 */
export async function runEventsFrom(
  app: AppClient,
  contractId: string,
  runId: string,
  from: number,
): Promise<{ events: AuditEvent[]; next: number }> {
  const events: AuditEvent[] = [];
  let next = from;
  for await (const page of app.events(contractId, { start: from, limit: PAGE })) {
    for (const e of page.value) {
      next = Math.max(next, e.position + 1);
      if (isAboutRun(e, runId)) events.push(e);
    }
  }
  return { events, next };
}
