/** `cleanroom status` for people: who, what to do (with commands), what waits on others. */
import type { Style } from "../../output.js";
import type { StatusView } from "./index.js";

const short = (id: string) => (id.length > 16 ? `${id.slice(0, 12)}…` : id);

function waiting(view: StatusView): string[] {
  const lines: string[] = [];
  for (const i of view.consortium?.invitations ?? []) {
    if (i.status === "Open") {
      lines.push(
        `invitation ${i.invitationId} (${i.role} ${i.displayName}) is open until ${i.expiresAt}`,
      );
    }
  }
  for (const p of view.consortium?.proposals ?? []) {
    if (p.voted)
      lines.push(
        `proposal ${short(p.proposalId)} (${p.actions.join(", ")}): you voted; others have not decided`,
      );
  }
  for (const c of view.contracts) {
    if (c.state === "Proposed" && view.kind === "user") {
      lines.push(`${c.contractId}: contract proposed, waiting for the members to accept it`);
    }
    if (!c.participant) continue;
    for (const q of c.queries) {
      if (q.waitingFor.length > 0 && q.yourVote !== "pending") {
        lines.push(
          `${c.contractId}: query ${q.queryId} v${q.version} waits for ${q.waitingFor.length} approval(s) (${q.waitingFor.map(short).join(", ")})`,
        );
      }
    }
  }
  return lines;
}

function runs(view: StatusView): string[] {
  return view.contracts.flatMap((c) =>
    c.runs.map((r) => {
      const head = `${c.contractId}: run ${r.runId} (${r.queryId}) ${r.state} since ${r.at}`;
      if (r.state === "Failed") {
        return `${head}: ${r.reason ?? "no reason given"} — \`cleanroom run logs ${c.contractId} ${r.runId}\``;
      }
      return head;
    }),
  );
}

export function describeStatus(view: StatusView, style: Style): string[] {
  const { bold, yellow } = style;
  const who = view.displayName ? `${view.displayName}, ` : "";
  const activation =
    view.consortium && view.consortium.memberStatus !== "Active"
      ? ` (${view.consortium.memberStatus})`
      : "";
  const lines = [
    `${bold(view.profile)}: ${view.kind}${activation} (${who}id ${view.id.slice(0, 12)}…) of ${view.endpoint}, service ${view.serviceStatus}`,
  ];
  if (view.todo.length === 0) {
    lines.push("Nothing to do.");
  } else {
    lines.push(yellow("To do:"));
    for (const t of view.todo) {
      lines.push(`  - ${t.contractId ? `${t.contractId}: ` : ""}${t.what}`, `      $ ${t.command}`);
    }
  }
  const others = waiting(view);
  if (others.length > 0) lines.push("Waiting on others:", ...others.map((l) => `  - ${l}`));
  const recent = runs(view);
  if (recent.length > 0) lines.push("Runs:", ...recent.map((l) => `  - ${l}`));
  return lines;
}
