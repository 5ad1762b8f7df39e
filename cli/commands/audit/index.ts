import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { auditEventsCommand } from "./events.js";
import { auditVerifyCommand } from "./verify.js";

export function auditCommand(): Command {
  return defineGroup(
    "audit",
    "read a contract's audit trail and prove it with ledger receipts",
    "Every governance decision and every clean-room report is an event in the contract's trail,\n" +
      "recorded by a ledger transaction. `audit events` lists them; `audit verify` proves each one\n" +
      "with its transaction's receipt, checked offline against the pinned service certificate.",
  )
    .addCommand(auditEventsCommand())
    .addCommand(auditVerifyCommand());
}
