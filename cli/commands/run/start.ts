/**
 * `cleanroom run start`: request a run of an accepted query; with --wait, follow it until it
 * completes or fails.
 */
import type { Command } from "commander";
import type { QueryParameter } from "../../../contracts/src/query.js";
import type { Run, RunRequested } from "../../../client/governance/index.js";
import { contextOf, defineCommand, integer } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { runDetails, runLine, stepOf } from "./shared.js";
import { hinted } from "../query/hints.js";
import { pause } from "../../pause.js";

export interface RunStartOptions {
  param: string[];
  queryVersion?: string;
  wait?: boolean;
  /** Seconds to wait with --wait. */
  timeout: number;
  /** Milliseconds between polls with --wait. */
  pollMs?: number;
}

export type RunStarted = RunRequested & { transactionId: string; run?: Run };

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A parameter's text as the value its declared type needs (governance checks it again). */
function parameterValue(name: string, text: string, declared?: QueryParameter): unknown {
  switch (declared?.type) {
    case "integer":
    case "number": {
      const n = Number(text);
      if (text.trim() === "" || !Number.isFinite(n)) {
        throw new UserError(
          `--param ${name}=${text} is not a number`,
          `${name} is ${declared.type === "integer" ? "an integer" : "a number"}`,
          "InvalidParameters",
        );
      }
      return n;
    }
    case "boolean":
      if (text !== "true" && text !== "false") {
        throw new UserError(
          `--param ${name}=${text} is not true or false`,
          `${name} is a boolean`,
          "InvalidParameters",
        );
      }
      return text === "true";
    default:
      return text;
  }
}

export async function runStart(
  ctx: Context,
  contractId: string,
  queryId: string,
  options: RunStartOptions,
): Promise<RunStarted> {
  const client = ctx.governance();
  try {
    const parameters: Record<string, unknown> = {};
    if (options.param.length > 0) {
      const version =
        options.queryVersion !== undefined
          ? await client.app.queryVersion(contractId, queryId, options.queryVersion)
          : (await client.app.query(contractId, queryId)).versions.find(
              (v) => v.state === "Accepted",
            );
      const declared = version?.document.parameters ?? {};
      for (const spec of options.param) {
        const eq = spec.indexOf("=");
        if (eq <= 0) {
          throw new UserError(
            `--param '${spec}' is not name=value`,
            "e.g. --param since=2026-01-01",
            "InvalidParameters",
          );
        }
        const name = spec.slice(0, eq);
        parameters[name] = parameterValue(name, spec.slice(eq + 1), declared[name]);
      }
    }
    const requested = await client.app.requestRun(contractId, {
      queryId,
      ...(options.queryVersion !== undefined ? { queryVersion: options.queryVersion } : {}),
      ...(options.param.length > 0 ? { parameters } : {}),
    });
    if (!options.wait) {
      ctx.out.result(
        requested,
        [
          `Requested run ${requested.runId} of query ${queryId} version ${requested.queryVersion}.`,
          `Follow it with \`cleanroom run status ${contractId} ${requested.runId}\`.`,
        ].join("\n"),
      );
      return requested;
    }

    ctx.out.note(`Requested run ${requested.runId}; waiting for a clean room to run it…`);
    const progress = ctx.out.progress({ label: `run ${requested.runId}`, total: 3, unit: "steps" });
    const deadline = Date.now() + options.timeout * 1000;
    let run: Run;
    let last = "";
    try {
      for (;;) {
        run = await client.app.run(contractId, requested.runId);
        progress.update(stepOf(run));
        const line = runLine(run);
        if (line !== last && !ctx.io.stderr.isTTY) ctx.out.note(line);
        last = line;
        if (run.state === "Completed" || run.state === "Failed") break;
        if (Date.now() >= deadline) {
          throw new UserError(
            `run ${requested.runId} is still ${run.state} after ${options.timeout} s`,
            `it goes on without you: follow it with \`cleanroom run status ${contractId} ${requested.runId}\``,
            "Timeout",
          );
        }
        await pause(options.pollMs ?? 500);
      }
    } finally {
      progress.done();
    }
    if (run.state === "Failed") {
      throw new UserError(
        `run ${run.runId} failed: ${run.failure?.reason ?? "no reason given"}`,
        `see its story with \`cleanroom run logs ${contractId} ${run.runId}\``,
        "RunFailed",
      );
    }
    const result: RunStarted = { ...requested, run };
    ctx.out.result(result, runDetails(run).join("\n"));
    return result;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

export function runStartCommand(): Command {
  return defineCommand("start", {
    summary: "request a run of an accepted query",
    description: `Asks governance for a run of a query's latest Accepted version (or --query-version).
      Only the query's proposer and approvers may; the run counts against the approvals' run
      quota, and it is refused (with the reason) when the query is not accepted, an approval
      expired or the quota is used up, or someone's consent is off. An attested clean room then
      claims and runs it.

      With --wait the command follows the run until it completes (and prints its output digests)
      or fails (and prints why, exit 1), or until --timeout.`,
    examples: [
      "cleanroom run start analytics overlap",
      "cleanroom run start analytics daily --param since=2026-01-01 --wait",
      "cleanroom run start analytics overlap --wait --timeout 1800 --json",
    ],
  })
    .argument("<contractId>", "the contract")
    .argument("<queryId>", "the query")
    .option("--param <name=value>", "a run parameter the query declares (repeat)", collect, [])
    .option("--query-version <n>", "the query version (default: its latest Accepted one)")
    .option("--wait", "follow the run until it completes or fails")
    .option("--timeout <seconds>", "how long --wait waits", integer(1, 86_400), 600)
    .action(
      async (contractId: string, queryId: string, options: RunStartOptions, command: Command) => {
        await runStart(contextOf(command), contractId, queryId, options);
      },
    );
}
