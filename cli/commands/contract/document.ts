/**
 * A contract document for `contract create`: read from a YAML or JSON file, or built from flags for a
 * quick start; either way checked by the shared validator, whose message names the field.
 */
import {
  validateContractDocument,
  validateContractId,
  type ContractDocument,
  type Participant,
} from "../../../contracts/src/contract.js";
import type { Context } from "../../context.js";
import { readDocument } from "../../documents.js";
import { UserError } from "../../errors.js";

export interface DocumentFlags {
  file?: string;
  description?: string;
  participant?: string[];
  measurement?: string[];
  hostData?: string[];
  allowVirtual?: boolean;
  audience?: string[];
}

/** How long tokens minted for a quick-start contract may live, when --audience is given. */
export const QUICK_TOKEN_LIFETIME_SECONDS = 3600;

export function checkContractId(contractId: string): string {
  try {
    return validateContractId(contractId);
  } catch (error) {
    throw new UserError(
      `invalid contract id: ${(error as Error).message}`,
      "e.g. sales-2026 or northwind.contoso",
      "InvalidContractId",
    );
  }
}

/** The shared validator's verdict as one line naming the field. */
export function checkDocument(value: unknown, source: string): ContractDocument {
  try {
    return validateContractDocument(value);
  } catch (error) {
    throw new UserError(
      `invalid contract document: ${(error as Error).message}`,
      `fix that field in ${source} (see docs/governance.md, "Contracts")`,
      "InvalidContract",
    );
  }
}

const MEMBER_OR_USER_ID = /^(?:[0-9a-f]{64}|jwt:.+)$/;

/** `name=<profile or id>` (or just a profile name) as a participant; kind from the member list. */
function participantOf(ctx: Context, spec: string, memberIds: ReadonlySet<string>): Participant {
  const at = spec.indexOf("=");
  const name = at >= 0 ? spec.slice(0, at).trim() : spec.trim();
  const who = at >= 0 ? spec.slice(at + 1).trim() : spec.trim();
  if (name === "" || who === "") {
    throw new UserError(
      `--participant '${spec}' must be name=<profile or id>`,
      "e.g. --participant northwind=northwind or --participant contoso=<64-hex user id>",
      "UsageError",
    );
  }
  let id: string;
  if (MEMBER_OR_USER_ID.test(who)) {
    id = who;
  } else if (ctx.store.exists(who)) {
    id = ctx.store.read(who).id;
  } else {
    throw new UserError(
      `--participant ${name}: '${who}' is neither a profile here nor a member or user id`,
      "pass a profile name (`cleanroom profile list`), a 64-hex id, or jwt:<issuer>:<subject>",
      "UnknownParticipant",
    );
  }
  return { id, kind: memberIds.has(id) ? "member" : "user", name };
}

/** Whether any quick-start flag was given. */
function hasFlags(flags: DocumentFlags): boolean {
  return (
    (flags.participant?.length ?? 0) > 0 ||
    (flags.measurement?.length ?? 0) > 0 ||
    (flags.hostData?.length ?? 0) > 0 ||
    (flags.audience?.length ?? 0) > 0 ||
    flags.allowVirtual === true ||
    flags.description !== undefined
  );
}

/**
 * The document from --file, or from the flags. `memberIds` (the consortium's members) tells a
 * member participant from a user one.
 */
export async function contractDocument(
  ctx: Context,
  flags: DocumentFlags,
  memberIds: () => Promise<ReadonlySet<string>>,
): Promise<ContractDocument> {
  if (flags.file !== undefined) {
    if (hasFlags(flags)) {
      throw new UserError(
        "--file and the document flags (--participant, --measurement, …) go separately",
        "put everything in the file, or leave --file out",
        "UsageError",
      );
    }
    const parsed = readDocument(flags.file, {
      what: "contract",
      code: "InvalidContract",
      option: "--file",
    });
    return checkDocument(parsed, flags.file);
  }
  if ((flags.participant?.length ?? 0) === 0) {
    throw new UserError(
      "a contract needs its document: --file contract.yaml, or --participant and --measurement",
      "e.g. cleanroom contract create sales --participant operator=operator --measurement <hex> --allow-virtual",
      "UsageError",
    );
  }
  const ids = await memberIds();
  const document: Record<string, unknown> = {
    participants: flags.participant!.map((spec) => participantOf(ctx, spec, ids)),
    policy: {
      measurements: flags.measurement ?? [],
      ...(flags.hostData && flags.hostData.length > 0 ? { hostData: flags.hostData } : {}),
      allowVirtual: flags.allowVirtual === true,
    },
    consentDefaults: { execution: true, logging: false, telemetry: false },
  };
  if (flags.description !== undefined) document["description"] = flags.description;
  if (flags.audience && flags.audience.length > 0) {
    document["tokenPolicy"] = {
      audiences: flags.audience,
      maxLifetimeSeconds: QUICK_TOKEN_LIFETIME_SECONDS,
    };
  }
  return checkDocument(document, "the flags");
}
