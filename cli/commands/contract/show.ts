/** `cleanroom contract show`: a contract's state, draft and accepted versions, participants, policy. */
import type { Command } from "commander";
import type { ContractState, ContractView } from "../../../client/governance/index.js";
import type {
  CleanRoomPolicy,
  ConsentDefaults,
  ContractDocument,
} from "../../../contracts/src/contract.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { localNames, nameOf, refusal } from "../proposal/common.js";
import { checkContractId } from "./document.js";

export interface ParticipantView {
  id: string;
  kind: "member" | "user";
  name: string;
  /** The local profile with this id, if any. */
  profile: string | null;
}

export interface ContractShowView {
  contractId: string;
  state: ContractState;
  draftVersion: string | null;
  acceptedVersion: string | null;
  /** 1 for the first accepted version, … */
  acceptedSequence: number | null;
  /** Whether the draft says something else than the accepted version (null: not both). */
  draftDiffers: boolean | null;
  /** The open (or just rejected) proposal naming the contract. */
  proposalId: string | null;
  /** Which document the fields below describe. */
  shown: "accepted" | "proposed" | "draft";
  description: string | null;
  participants: ParticipantView[];
  policy: CleanRoomPolicy;
  /** The consent in force: the accepted defaults overridden by the members' switches. */
  consent: ConsentDefaults | null;
  /** The whole answer of the service. */
  contract: ContractView;
}

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort())
      : v,
  );

export function contractShowView(ctx: Context, contract: ContractView): ContractShowView {
  const names = localNames(ctx);
  const [shown, document]: ["accepted" | "proposed" | "draft", ContractDocument] = contract.accepted
    ? ["accepted", contract.accepted.document]
    : contract.proposed
      ? ["proposed", contract.proposed.document]
      : ["draft", contract.draft!.document];
  const accepted = contract.accepted;
  const consent = accepted
    ? {
        execution: contract.switches?.execution ?? accepted.document.consentDefaults.execution,
        logging: contract.switches?.logging ?? accepted.document.consentDefaults.logging,
        telemetry: contract.switches?.telemetry ?? accepted.document.consentDefaults.telemetry,
      }
    : null;
  return {
    contractId: contract.contractId,
    state: contract.state,
    draftVersion: contract.draft?.version ?? null,
    acceptedVersion: accepted?.version ?? null,
    acceptedSequence: accepted ? (accepted.sequence ?? 1) : null,
    draftDiffers:
      contract.draft && accepted
        ? canonical(contract.draft.document) !== canonical(accepted.document)
        : null,
    proposalId: contract.proposalId ?? null,
    shown,
    description: document.description ?? null,
    participants: document.participants.map((p) => ({
      ...p,
      profile: names.get(p.id) ?? null,
    })),
    policy: document.policy,
    consent,
    contract,
  };
}

const onOff = (on: boolean) => (on ? "on" : "off");

export function describePolicy(policy: CleanRoomPolicy): string[] {
  return [
    `  measurements:  ${policy.measurements.join(", ")}`,
    `  host data:     ${policy.hostData ? policy.hostData.join(", ") : "any"}`,
    `  virtual:       ${policy.allowVirtual ? "allowed (insecure, development only)" : "not allowed"}`,
  ];
}

function describe(ctx: Context, view: ContractShowView): string {
  const { bold } = ctx.out.style;
  const names = localNames(ctx);
  const lines = [`${bold("Contract")} ${view.contractId}: ${view.state}`];
  if (view.acceptedVersion) {
    const accepted = view.contract.accepted!;
    const votes = Object.entries(accepted.finalVotes ?? {})
      .map(([id, vote]) => `${nameOf(names, id)} ${vote ? "for" : "against"}`)
      .join(", ");
    lines.push(
      `Accepted:     version ${view.acceptedVersion} (#${view.acceptedSequence}, proposal ${accepted.proposalId.slice(0, 12)}…${votes ? `; ${votes}` : ""})`,
    );
  }
  if (view.draftVersion) {
    const note =
      view.draftDiffers === null
        ? ""
        : view.draftDiffers
          ? " (differs from the accepted one)"
          : " (same as accepted)";
    lines.push(`Draft:        version ${view.draftVersion}${note}`);
  }
  if (view.proposalId) {
    lines.push(
      `Proposal:     ${view.proposalId}${view.state === "Proposed" ? " (open: vote with `cleanroom contract vote " + view.contractId + " --accept`)" : ""}`,
    );
  }
  if (view.description) lines.push(`Description:  ${view.description}`);
  lines.push(`Participants (${view.shown}):`);
  for (const p of view.participants) {
    const mine = p.profile ? `, profile ${p.profile}` : "";
    lines.push(`  ${p.name} — ${p.kind}, ${p.id.slice(0, 12)}…${mine}`);
  }
  lines.push(`Policy (${view.shown}):`, ...describePolicy(view.policy));
  if (view.consent) {
    const consent = view.consent;
    const defaults = view.contract.accepted!.document.consentDefaults;
    const names = ["execution", "logging", "telemetry"] as const;
    const switched = names.filter((n) => consent[n] !== defaults[n]);
    lines.push(
      `Consent:      ${names.map((n) => `${n} ${onOff(consent[n])}`).join(", ")}` +
        (switched.length > 0
          ? ` (switched by the members: ${switched.join(", ")})`
          : " (defaults)"),
    );
  }
  return lines.join("\n");
}

export async function runContractShow(ctx: Context, contractId: string): Promise<ContractShowView> {
  checkContractId(contractId);
  const client = ctx.governance();
  try {
    const view = contractShowView(ctx, await client.app.contract(contractId));
    ctx.out.result(view, describe(ctx, view));
    return view;
  } catch (error) {
    throw refusal(error);
  } finally {
    client.close();
  }
}

export function contractShowCommand(): Command {
  return defineCommand("show", {
    summary: "show a contract: state, versions, participants, policy, consent",
    description:
      "Shows a contract's state (Draft, Proposed, Accepted, Rejected), its accepted version (with\n" +
      "the votes that accepted it) and its draft version (and whether the draft differs), the open\n" +
      "proposal if any, the participants by name (and your profiles among them), the clean-room\n" +
      "policy and the consent in force (defaults overridden by the members' switches). The\n" +
      "participants and policy shown are the accepted ones, else the proposed, else the draft's.",
    examples: [
      "cleanroom contract show sales",
      "cleanroom contract show sales --profile northwind --json",
    ],
  })
    .argument("<contractId>", "the contract's id")
    .action(async (contractId: string, _options: unknown, command: Command) => {
      await runContractShow(contextOf(command), contractId);
    });
}
