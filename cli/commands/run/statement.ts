/**
 * `cleanroom run statement`: the statement governance signed when the run completed, verified
 * with governance's published statement key.
 */
import type { Command } from "commander";
import { verifyRunStatement, type StatementContent } from "../../../client/statements.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { hinted } from "../query/hints.js";

export interface StatementView {
  contractId: string;
  runId: string;
  verified: boolean;
  problem?: string;
  keyId: string;
  transactionId: string;
  statement: StatementContent | null;
  signature: string;
}

export async function runStatement(
  ctx: Context,
  contractId: string,
  runId: string,
): Promise<StatementView> {
  const client = ctx.governance();
  try {
    const signed = await client.app.runStatement(contractId, runId);
    const key = await client.app.statementKey();
    const check = verifyRunStatement(signed, key, { contractId, runId });
    const view: StatementView = {
      contractId,
      runId,
      verified: check.verified,
      keyId: key.keyId,
      transactionId: signed.transactionId,
      statement: check.content ?? null,
      signature: signed.signature,
    };
    if (check.problem !== undefined) view.problem = check.problem;
    const { green, red } = ctx.out.style;
    const lines = [
      `Statement of run ${runId} in ${contractId} (recorded by transaction ${signed.transactionId})`,
      `Verified: ${check.verified ? green("yes") : red("no")} (ES384, statement key ${key.keyId})`,
    ];
    const c = check.content;
    if (c) {
      lines.push(
        `Query:    ${c.queryId} version ${c.queryVersion}`,
        `Inputs:   ${c.inputs.map((i) => `${i.datasetId} as ${i.view}`).join(", ")}`,
        `Clean room: ${c.platform}, measurement ${c.measurement}${c.hostData ? `, host data ${c.hostData}` : ""}`,
        `Attestation digest: ${c.attestationDigest}`,
        `Completed: ${c.completedAt}`,
        "Output digests (SHA-256):",
        ...c.outputDigests.map((d) => `  ${d.sha256}  ${d.datasetId}/${d.object}`),
      );
    }
    ctx.out.result(view, lines.join("\n"));
    if (!check.verified) {
      throw new UserError(
        `the statement of run ${runId} does not verify: ${check.problem}`,
        "do not trust this run's output; tell the consortium's operator",
        "StatementInvalid",
      );
    }
    return view;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

export function runStatementCommand(): Command {
  return defineCommand("statement", {
    summary: "fetch and verify a completed run's signed statement",
    description: `Fetches the statement governance signed when the run completed — binding the
      run's output digests to its query version, input datasets and the attested clean room — and
      verifies its ES384 signature with governance's published statement key (not the key the
      statement carries). Prints whether it verified and the output digests; exit 1 if it does
      not verify.`,
    examples: ["cleanroom run statement analytics 3", "cleanroom run statement analytics 3 --json"],
  })
    .argument("<contractId>", "the contract")
    .argument("<runId>", "a completed run")
    .action(async (contractId: string, runId: string, _options: unknown, command: Command) => {
      await runStatement(contextOf(command), contractId, runId);
    });
}
