/** `cleanroom contract create`: save a contract draft (a new one, or a new version of it). */
import type { Command } from "commander";
import { GovernanceError, type GovernanceClient } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { memberProfile, refusal } from "../proposal/common.js";
import { checkContractId, contractDocument, type DocumentFlags } from "./document.js";

export interface ContractCreateOptions extends DocumentFlags {
  /** The current draft's version, to replace exactly that one. */
  draftVersion?: string;
}

export interface ContractSaved {
  contractId: string;
  state: "Draft";
  /** The new draft's version (the transaction that saved it). */
  version: string;
  /** The draft it replaced, if any. */
  previousVersion: string | null;
  participants: number;
  measurements: number;
  allowVirtual: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The current draft's version, or undefined when the contract has no draft (or does not exist). */
async function currentDraftVersion(
  client: GovernanceClient,
  contractId: string,
): Promise<string | undefined> {
  try {
    return (await client.app.contract(contractId)).draft?.version;
  } catch (error) {
    if (error instanceof GovernanceError && error.status === 404) return undefined;
    throw error;
  }
}

export async function runContractCreate(
  ctx: Context,
  contractId: string,
  options: ContractCreateOptions,
): Promise<ContractSaved> {
  checkContractId(contractId);
  const profile = memberProfile(ctx);
  const client = ctx.governance(profile);
  try {
    const document = await contractDocument(
      ctx,
      options,
      async () => new Set((await client.gov.members()).map((m) => m.memberId)),
    );
    // Read-modify-write: without --draft-version, replace whatever draft is current now.
    const previous = options.draftVersion ?? (await currentDraftVersion(client, contractId));
    const saved = await client.app.putContractDraft(contractId, document, previous);
    const result: ContractSaved = {
      contractId,
      state: "Draft",
      version: saved.transactionId,
      previousVersion: previous ?? null,
      participants: document.participants.length,
      measurements: document.policy.measurements.length,
      allowVirtual: document.policy.allowVirtual,
    };
    ctx.out.result(
      result,
      [
        `Saved the draft of contract ${ctx.out.style.bold(contractId)}, version ${result.version}` +
          (previous ? ` (replacing ${previous}).` : "."),
        `Participants: ${document.participants.map((p) => `${p.name} (${p.kind})`).join(", ")}`,
        `Propose it to the members with \`cleanroom contract propose ${contractId}\`.`,
      ].join("\n"),
    );
    return result;
  } catch (error) {
    const changed = options.draftVersion
      ? `the draft is no longer version ${options.draftVersion}`
      : "someone saved the draft while this command ran";
    throw refusal(error, {
      PreconditionFailed: `${changed}: look at it with \`cleanroom contract show ${contractId}\`, then retry (without --draft-version to replace the current draft)`,
      VersionRequired: `someone saved a draft while this command ran: look at it with \`cleanroom contract show ${contractId}\`, then retry`,
    });
  } finally {
    client.close();
  }
}

export function contractCreateCommand(): Command {
  return defineCommand("create", {
    summary: "save a contract draft from a YAML or JSON file, or flags",
    description:
      "As a member, saves a draft of the contract: who collaborates (participants), which\n" +
      "clean-room runtimes may obtain keys (measurements, host data, whether virtual attestation is\n" +
      "allowed), consent defaults and the token policy. Give the document as a YAML or JSON file\n" +
      "with --file (start from contracts/templates/contract.yaml: quote hex values in YAML), or\n" +
      "build one with flags for a quick start: --participant name=<profile or\n" +
      "id> (repeat; a consortium member becomes a member participant, anyone else a user),\n" +
      "--measurement, --host-data, --allow-virtual, --audience (tokens then live at most 1 h);\n" +
      "consent defaults are execution on, logging and telemetry off.\n\n" +
      "Saving again replaces the current draft (read-modify-write); --draft-version replaces only\n" +
      "that version and refuses if someone saved another since. The draft takes effect only once\n" +
      "proposed (`cleanroom contract propose`) and accepted by every member.",
    examples: [
      "cleanroom contract create sales --file contracts/templates/contract.yaml",
      "cleanroom contract create sales --participant operator=operator --participant northwind=northwind --measurement 00 --allow-virtual",
      "cleanroom contract create sales --file contract.json --draft-version 2.41 --json",
    ],
  })
    .argument("<contractId>", "the contract's id (letters, digits, '.', '_', '-')")
    .option("--file <contract.yaml>", "the contract document (YAML, or JSON if it ends in .json)")
    .option("--participant <name=profile|id>", "a participant (repeat)", collect)
    .option("--measurement <hex>", "an allowed runtime measurement (repeat)", collect)
    .option("--host-data <hex>", "allowed SEV-SNP host data (repeat; default: any)", collect)
    .option("--allow-virtual", "accept virtual (insecure, development) attestation")
    .option("--audience <aud>", "an audience tokens may be minted for (repeat)", collect)
    .option("--description <text>", "what the collaboration is for")
    .option(
      "--draft-version <version>",
      "the current draft's version: replace only that one (see `contract show`)",
    )
    .action(async (contractId: string, options: ContractCreateOptions, command: Command) => {
      await runContractCreate(contextOf(command), contractId, options);
    });
}
