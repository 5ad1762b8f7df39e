/** The clean-room policy in force for a contract: its accepted version's. */
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { refusal } from "../proposal/common.js";
import { checkContractId } from "./document.js";

export interface PolicyView {
  contractId: string;
  /** The accepted version the policy comes from. */
  version: string;
  sequence: number;
  measurements: string[];
  /** Allowed SEV-SNP host data; null means any. */
  hostData: string[] | null;
  allowVirtual: boolean;
}

/** The accepted version's policy, or a one-line error when there is none yet. */
export async function acceptedPolicy(ctx: Context, contractId: string): Promise<PolicyView> {
  checkContractId(contractId);
  const client = ctx.governance();
  try {
    const contract = await client.app.contract(contractId);
    const accepted = contract.accepted;
    if (!accepted) {
      throw new UserError(
        `contract ${contractId} has no accepted version yet (it is ${contract.state}): no policy is in force`,
        `members accept it with \`cleanroom contract vote ${contractId} --accept\`; see the draft with \`cleanroom contract show ${contractId}\``,
        "NotAccepted",
      );
    }
    const policy = accepted.document.policy;
    return {
      contractId,
      version: accepted.version,
      sequence: accepted.sequence ?? 1,
      measurements: policy.measurements,
      hostData: policy.hostData ?? null,
      allowVirtual: policy.allowVirtual,
    };
  } catch (error) {
    throw refusal(error);
  } finally {
    client.close();
  }
}
