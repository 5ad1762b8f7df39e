/** What the run verbs share: one line per run, and how long ago things happened. */
import type { Run } from "../../../client/governance/index.js";

export const short = (id: string) => (id.length > 16 ? `${id.slice(0, 12)}…` : id);

/** The run's state with what it is waiting for or what became of it. */
export function runLine(run: Run): string {
  switch (run.state) {
    case "Requested":
      return "Requested: waiting for an attested clean room to claim it";
    case "Claimed":
      return `Claimed by a ${run.claim?.platform ?? ""} clean room (measurement ${short(run.claim?.measurement ?? "")})`;
    case "Running":
      return `Running${run.progress?.phase ? `: ${run.progress.phase}` : ""}`;
    case "Completed":
      return `Completed at ${run.result?.completedAt ?? "?"}`;
    case "Failed":
      return `Failed: ${run.failure?.reason ?? "no reason given"}`;
  }
}

/** The lines of `run status`. */
export function runDetails(run: Run): string[] {
  const lines = [
    `Run ${run.runId} of query ${run.queryId} version ${run.queryVersion} in ${run.contractId}`,
    `State:     ${runLine(run)}`,
    `Requested: ${run.requestedAt} by ${short(run.requestedBy)}`,
    `Inputs:    ${run.inputs.map((i) => `${i.datasetId} as ${i.view}`).join(", ")}`,
    `Output:    ${run.output}`,
  ];
  const parameters = Object.entries(run.parameters ?? {});
  if (parameters.length > 0) {
    lines.push(`Parameters: ${parameters.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}`);
  }
  if (run.claim) {
    lines.push(
      `Clean room: ${run.claim.platform}, measurement ${run.claim.measurement}` +
        (run.claim.hostData ? `, host data ${run.claim.hostData}` : ""),
    );
  }
  if (run.result) {
    const counts = Object.entries(run.result.rowCounts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    if (counts) lines.push(`Rows:      ${counts}`);
    for (const d of run.result.outputDigests) {
      lines.push(`Output:    ${d.datasetId}/${d.object} sha256 ${d.sha256}`);
    }
  }
  if (run.failure) lines.push(`Failed at ${run.failure.failedAt}: ${run.failure.reason}`);
  return lines;
}

/** How far along a run is, as steps of 3: Requested 0, Claimed 1, Running 2, done 3. */
export function stepOf(run: Run): number {
  return { Requested: 0, Claimed: 1, Running: 2, Completed: 3, Failed: 3 }[run.state];
}
