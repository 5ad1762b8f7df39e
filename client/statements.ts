/**
 * Run statements: on completion governance signs, with its statement key (ES384, IEEE P1363
 * r‖s), the JSON text binding a run's output digests to its query version and attestation
 * (docs/governance.md, "Reports and the statement"). Whoever reads a run's output checks the
 * statement with the key governance publishes (`GET /app/keys/statement`), never with the key
 * the statement itself carries.
 */
import { createPublicKey, verify } from "node:crypto";
import type { RunStatement, StatementKey } from "./governance/app.js";

export interface StatementContent {
  contractId: string;
  runId: string;
  queryId: string;
  queryVersion: string;
  inputs: { datasetId: string; view: string; datasetVersion?: string | number }[];
  outputDigests: { datasetId: string; object: string; sha256: string }[];
  platform: string;
  measurement: string;
  hostData?: string;
  attestationDigest: string;
  completedAt: string;
  [fact: string]: unknown;
}

export interface StatementCheck {
  /** The signature verifies with the published statement key. */
  verified: boolean;
  /** Why it does not, when it does not. */
  problem?: string;
  /** The signed statement's content (parsed only once it verifies). */
  content?: StatementContent;
}

/**
 * Checks a run's statement against the published statement key, and that it speaks of the
 * expected contract and run.
 */
export function verifyRunStatement(
  statement: RunStatement,
  key: StatementKey,
  expected: { contractId: string; runId: string },
): StatementCheck {
  if (key.algorithm !== "ES384") {
    return { verified: false, problem: `the statement key is ${key.algorithm}, not ES384` };
  }
  let ok: boolean;
  try {
    ok = verify(
      "sha384",
      Buffer.from(statement.statement, "utf8"),
      { key: createPublicKey(key.publicKeyPem), dsaEncoding: "ieee-p1363" },
      Buffer.from(statement.signature, "base64"),
    );
  } catch {
    ok = false;
  }
  if (!ok) {
    return {
      verified: false,
      problem: "the signature does not verify with governance's statement key",
    };
  }
  let content: StatementContent;
  try {
    content = JSON.parse(statement.statement) as StatementContent;
  } catch {
    return { verified: false, problem: "the signed statement is not JSON" };
  }
  if (content.contractId !== expected.contractId || content.runId !== expected.runId) {
    return {
      verified: false,
      problem: `the statement is for run ${content.runId} of ${content.contractId}`,
    };
  }
  return { verified: true, content };
}
