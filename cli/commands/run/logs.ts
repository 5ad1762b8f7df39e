/**
 * `cleanroom run logs`: a run's story from governance — its record (state, clean room, phases,
 * rows, durations, output or failure) and the audit events that name it; --follow until it ends.
 */
import type { Command } from "commander";
import type { AuditEvent, Run } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { hinted } from "../query/hints.js";
import { eventLine, runEventsFrom, runSummary } from "./story.js";
import { pause } from "../../pause.js";

export interface RunLogsOptions {
  follow?: boolean;
  /** Milliseconds between polls with --follow. */
  pollMs?: number;
  /** Stops --follow early (Ctrl-C). */
  signal?: AbortSignal;
}

export interface RunLogs {
  run: Run;
  events: AuditEvent[];
}

const ended = (run: Run) => run.state === "Completed" || run.state === "Failed";

export async function runLogs(
  ctx: Context,
  contractId: string,
  runId: string,
  options: RunLogsOptions = {},
): Promise<RunLogs> {
  const client = ctx.governance();
  try {
    let run = await client.app.run(contractId, runId);
    const first = await runEventsFrom(client.app, contractId, runId, 0);
    const events = [...first.events];
    let next = first.next;
    // Following: each event as it arrives (people), the whole story once it ends (--json).
    const show = (batch: AuditEvent[]) => {
      if (!ctx.out.json) for (const e of batch) ctx.out.info(eventLine(e));
    };
    if (options.follow) {
      show(events);
      if (!ended(run)) ctx.out.note(`Following run ${runId} until it ends (Ctrl-C to stop)…`);
      while (!ended(run) && !options.signal?.aborted) {
        await pause(options.pollMs ?? 1000, options.signal);
        run = await client.app.run(contractId, runId);
        const more = await runEventsFrom(client.app, contractId, runId, next);
        next = more.next;
        events.push(...more.events);
        show(more.events);
      }
      ctx.out.result({ run, events }, runSummary(run).join("\n"));
      return { run, events };
    }
    const lines = [...runSummary(run), "Events:", ...events.map((e) => `  ${eventLine(e)}`)];
    if (events.length === 0) lines.push("  (none yet)");
    ctx.out.result({ run, events }, lines.join("\n"));
    return { run, events };
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

export function runLogsCommand(): Command {
  return defineCommand("logs", {
    summary: "tell a run's story: its record and the audit events that name it",
    description: `Shows what governance knows of a run: its state, the attested clean room that
      claimed it (platform, measurement), its phases with row counts and durations, its output
      digests or why it failed — and every audit event that names it, in order, each with the
      transaction that recorded it: requested, claimed, keys and access grants released,
      progress, completed or failed, and any refusal (with its code and reason).

      With --follow it prints events as they are recorded until the run completes or fails, then
      the run's summary (under --json: one document at the end). Events carry no data values.`,
    examples: [
      "cleanroom run logs analytics 3",
      "cleanroom run logs analytics 3 --follow",
      "cleanroom run logs analytics 3 --json",
    ],
  })
    .argument("<contractId>", "the contract")
    .argument("<runId>", "the run")
    .option("--follow", "keep printing events until the run completes or fails")
    .action(
      async (contractId: string, runId: string, options: RunLogsOptions, command: Command) => {
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once("SIGINT", stop);
        try {
          await runLogs(contextOf(command), contractId, runId, {
            ...options,
            signal: controller.signal,
          });
        } finally {
          process.off("SIGINT", stop);
        }
      },
    );
}
