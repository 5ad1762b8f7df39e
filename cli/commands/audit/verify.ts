/**
 * `cleanroom audit verify`: prove every event of a contract's trail with its transaction's
 * receipt, verified offline against the profile's pinned service certificate.
 */
import type { Command } from "commander";
import { X509Certificate } from "node:crypto";
import type { AuditEvent, EventQuery, Transport } from "../../../client/governance/index.js";
import { fetchReceipt, verifyReceipt, type ReceiptJson } from "../../../client/receipts.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { hinted } from "../query/hints.js";

export interface AuditVerifyOptions {
  scope?: string;
}

export interface AuditVerified {
  contractId: string;
  events: number;
  transactions: number;
  /** SHA-256 fingerprint of the pinned service certificate the receipts chain to. */
  serviceCertificate: string;
}

/** Where receipts come from: the service (tests pass a tampering one). */
export type ReceiptSource = (transport: Transport, transactionId: string) => Promise<ReceiptJson>;

export async function runAuditVerify(
  ctx: Context,
  contractId: string,
  options: AuditVerifyOptions = {},
  source: ReceiptSource = (transport, id) => fetchReceipt(transport, id),
): Promise<AuditVerified> {
  const profile = ctx.profile();
  const serviceCertPem = ctx.store.serviceCertPem(profile);
  const fingerprint = new X509Certificate(serviceCertPem).fingerprint256;
  const client = ctx.governance(profile);
  const query: EventQuery = {};
  if (options.scope !== undefined) query.scope = options.scope;
  try {
    const events: AuditEvent[] = [];
    for await (const page of client.app.events(contractId, query)) events.push(...page.value);
    const progress = ctx.out.progress({
      label: "verify receipts",
      total: events.length,
      unit: "steps",
    });
    const verified = new Set<string>();
    try {
      for (const event of events) {
        if (!verified.has(event.transactionId)) {
          try {
            verifyReceipt(await source(client.transport, event.transactionId), serviceCertPem);
          } catch (error) {
            if (error instanceof Error && error.name === "GovernanceError") throw error;
            const why = error instanceof Error ? error.message : String(error);
            throw new UserError(
              `event ${event.position} (${event.type}, transaction ${event.transactionId}) has a bad receipt: ${why}`,
              "the service's ledger does not prove this event: do not trust the trail, and tell the consortium's operator",
              "ReceiptInvalid",
            );
          }
          verified.add(event.transactionId);
        }
        progress.advance();
      }
    } finally {
      progress.done();
    }
    const result: AuditVerified = {
      contractId,
      events: events.length,
      transactions: verified.size,
      serviceCertificate: fingerprint,
    };
    ctx.out.result(
      result,
      `${events.length} events verified (${verified.size} transaction receipts) against the pinned service certificate ${fingerprint}.`,
    );
    return result;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

export function auditVerifyCommand(): Command {
  return defineCommand("verify", {
    summary: "prove every audit event with a ledger receipt, offline",
    description: `For every event of a contract's trail (or of one --scope), fetches the receipt of
      the transaction that recorded it (waiting until it is committed) and verifies it here,
      offline, against the service certificate pinned in your profile: the Merkle proof, the
      node's signature over the root, and the service's endorsement of the node. A receipt that
      does not verify stops it with exit 1 and one line naming the event.`,
    examples: [
      "cleanroom audit verify analytics",
      "cleanroom audit verify analytics --scope runtime --json",
    ],
  })
    .argument("<contractId>", "the contract")
    .option("--scope <scope>", "only this scope: governance, runtime, …")
    .action(async (contractId: string, options: AuditVerifyOptions, command: Command) => {
      await runAuditVerify(contextOf(command), contractId, options);
    });
}
