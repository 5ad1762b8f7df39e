/** `cleanroom audit events`: a contract's audit trail, page after page; --follow keeps watching. */
import type { Command } from "commander";
import type { AuditEvent, EventQuery } from "../../../client/governance/index.js";
import { contextOf, defineCommand, integer } from "../../command.js";
import type { Context } from "../../context.js";
import { hinted } from "../query/hints.js";

export interface AuditEventsOptions {
  scope?: string;
  fromSeqno?: number;
  follow?: boolean;
  /** Milliseconds between polls with --follow. */
  pollMs?: number;
  /** Stops --follow (Ctrl-C in the command; tests abort it). */
  signal?: AbortSignal;
}

const short = (id: string) => (id.length > 16 ? `${id.slice(0, 12)}…` : id);

function eventLine(e: AuditEvent): string {
  const details = Object.entries(e.details)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return [
    String(e.position),
    e.transactionId,
    e.scope,
    e.type,
    short(e.actor),
    e.subject ?? "-",
    details,
  ].join("\t");
}

const seqnoOf = (transactionId: string) => Number(transactionId.split(".")[1]);

export async function runAuditEvents(
  ctx: Context,
  contractId: string,
  options: AuditEventsOptions = {},
): Promise<AuditEvent[]> {
  const client = ctx.governance();
  const query: EventQuery = {};
  if (options.scope !== undefined) query.scope = options.scope;
  if (options.fromSeqno !== undefined) query.fromSeqno = options.fromSeqno;
  try {
    const events: AuditEvent[] = [];
    for await (const page of client.app.events(contractId, query)) events.push(...page.value);
    if (!options.follow) {
      ctx.out.table(
        events,
        [
          { header: "#", value: (e) => String(e.position) },
          { header: "tx", value: (e) => e.transactionId },
          { header: "scope", value: (e) => e.scope },
          { header: "type", value: (e) => e.type },
          { header: "actor", value: (e) => short(e.actor) },
          { header: "subject", value: (e) => e.subject ?? "" },
        ],
        events,
      );
      return events;
    }
    // Following: one line (one JSON document under --json) per event as it arrives.
    const print = (e: AuditEvent) =>
      ctx.io.stdout.write(ctx.out.json ? `${JSON.stringify(e)}\n` : `${eventLine(e)}\n`);
    events.forEach(print);
    ctx.out.note("Following new events (Ctrl-C to stop)…");
    const seen = new Set(events.map((e) => `${e.scope}:${e.position}:${e.transactionId}`));
    let from =
      events.length > 0 ? seqnoOf(events[events.length - 1]!.transactionId) : options.fromSeqno;
    const signal = options.signal;
    while (!signal?.aborted) {
      await new Promise<void>((resolve) => {
        const stop = () => (clearTimeout(timer), resolve());
        const timer = setTimeout(() => {
          signal?.removeEventListener("abort", stop);
          resolve();
        }, options.pollMs ?? 1000);
        signal?.addEventListener("abort", stop, { once: true });
      });
      if (signal?.aborted) break;
      const next: EventQuery = { ...query };
      if (from !== undefined) next.fromSeqno = from;
      for await (const page of client.app.events(contractId, next)) {
        for (const e of page.value) {
          const key = `${e.scope}:${e.position}:${e.transactionId}`;
          if (seen.has(key)) continue;
          seen.add(key);
          events.push(e);
          print(e);
          from = seqnoOf(e.transactionId);
        }
      }
    }
    return events;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

export function auditEventsCommand(): Command {
  return defineCommand("events", {
    summary: "list a contract's audit events",
    description: `Lists a contract's audit trail, oldest first: every governance decision (datasets
      published, queries proposed and voted on, consent switched, runs requested) and every report
      of a clean room (claims, keys released, progress, completion, refusals), each with the
      transaction that recorded it. --scope keeps one scope (governance, runtime, …);
      --from-seqno starts at a transaction. With --follow it keeps printing new events until
      Ctrl-C (one JSON document per line with --json). Prove them with \`cleanroom audit verify\`.`,
    examples: [
      "cleanroom audit events analytics",
      "cleanroom audit events analytics --scope runtime --json",
      "cleanroom audit events analytics --follow",
    ],
  })
    .argument("<contractId>", "the contract")
    .option("--scope <scope>", "only this scope: governance, runtime, …")
    .option("--from-seqno <n>", "only events recorded at or after this sequence number", integer(0))
    .option("--follow", "keep watching for new events until Ctrl-C")
    .action(async (contractId: string, options: AuditEventsOptions, command: Command) => {
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once("SIGINT", stop);
      try {
        await runAuditEvents(contextOf(command), contractId, {
          ...options,
          signal: controller.signal,
        });
      } finally {
        process.off("SIGINT", stop);
      }
    });
}
