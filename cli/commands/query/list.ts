/** `cleanroom query list`: a contract's queries and the state of their latest versions. */
import type { Command } from "commander";
import type { QuerySummary } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { latestOf, short, voteSummary } from "./shared.js";
import { hinted } from "./hints.js";

export async function runQueryList(ctx: Context, contractId: string): Promise<QuerySummary[]> {
  const client = ctx.governance();
  try {
    const queries: QuerySummary[] = [];
    for await (const query of client.app.items(client.app.listQueries(contractId))) {
      queries.push(query);
    }
    if (queries.length === 0 && !ctx.out.json) {
      ctx.out.note(`No queries in ${contractId} yet: propose one with \`cleanroom query create\`.`);
    }
    ctx.out.table(
      queries,
      [
        { header: "query", value: (q) => q.queryId },
        { header: "latest", value: (q) => `v${q.latestVersion}` },
        { header: "state", value: (q) => latestOf(q)?.state ?? "" },
        {
          header: "votes",
          value: (q) => {
            const latest = latestOf(q);
            return latest ? voteSummary(latest) : "";
          },
        },
        { header: "proposer", value: (q) => short(q.proposerId) },
      ],
      queries,
    );
    return queries;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

export function queryListCommand(): Command {
  return defineCommand("list", {
    summary: "list a contract's queries",
    description: `Lists every query of a contract with its latest version, that version's state
      and votes, and its proposer. Use \`cleanroom query show\` for all versions of one query.`,
    examples: ["cleanroom query list analytics", "cleanroom query list analytics --json"],
  })
    .argument("<contractId>", "the contract")
    .action(async (contractId: string, _options: unknown, command: Command) => {
      await runQueryList(contextOf(command), contractId);
    });
}
