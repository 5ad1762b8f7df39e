/** `cleanroom consent show`: the consent switches in force for a dataset or a query. */
import type { Command } from "commander";
import type { DatasetConsent, QueryConsent } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { targetOf, type ConsentTarget } from "./set.js";
import { hinted } from "../query/hints.js";

const onOff = (value: boolean | undefined) => (value === false ? "off" : "on");
const short = (id: string) => (id.length > 16 ? `${id.slice(0, 12)}…` : id);

export async function runConsentShow(
  ctx: Context,
  contractId: string,
  options: ConsentTarget,
): Promise<DatasetConsent | QueryConsent> {
  const { target, id } = targetOf(options);
  const client = ctx.governance();
  try {
    const contractLine = (c: { execution: boolean; logging: boolean; telemetry: boolean }) =>
      `Contract ${contractId}: execution ${onOff(c.execution)}, logging ${onOff(c.logging)}, telemetry ${onOff(c.telemetry)} (members decide these)`;
    if (target === "dataset") {
      const consent = await client.app.datasetConsent(contractId, id);
      ctx.out.result(
        consent,
        [
          `Dataset ${id}, owner ${short(consent.owner)}: execution ${onOff(consent.switches.execution)}, telemetry ${onOff(consent.switches.telemetry)}`,
          contractLine(consent.contract),
        ].join("\n"),
      );
      return consent;
    }
    const consent = await client.app.queryConsent(contractId, id);
    ctx.out.result(
      consent,
      [
        `Query ${id}:`,
        ...consent.approvers.map(
          (a) =>
            `  approver ${short(a.principalId)}: execution ${onOff(a.execution)}, telemetry ${onOff(a.telemetry)}`,
        ),
        ...consent.datasets.map((d) =>
          d.missing
            ? `  dataset ${d.datasetId}: not published`
            : `  dataset ${d.datasetId} (owner ${short(d.principalId ?? "")}): execution ${onOff(d.execution)}, telemetry ${onOff(d.telemetry)}`,
        ),
        contractLine(consent.contract),
      ].join("\n"),
    );
    return consent;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

export function consentShowCommand(): Command {
  return defineCommand("show", {
    summary: "show the consent in force for a dataset or query",
    description: `Shows the consent switches that decide whether runs may use a dataset (its
      owner's) or a query (each approver's, and the owners' of every dataset it touches), and the
      contract's own switches, which members set by proposal. A run needs every execution switch
      on.`,
    examples: [
      "cleanroom consent show analytics --dataset northwind-audience",
      "cleanroom consent show analytics --query overlap --json",
    ],
  })
    .argument("<contractId>", "the contract")
    .option("--dataset <datasetId>", "a dataset")
    .option("--query <queryId>", "a query")
    .action(async (contractId: string, options: ConsentTarget, command: Command) => {
      await runConsentShow(contextOf(command), contractId, options);
    });
}
