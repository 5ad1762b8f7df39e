/** Messages between the host thread (HTTP, files) and the engine thread (KV, QuickJS). */
import type { HttpRequest, HttpResponse } from "../http/messages.js";
import type { SnpTrust } from "../globals/snp.js";
import type { SignatureSchedule } from "../ledger/index.js";
import type { GovernanceAction } from "../types.js";

export interface EngineConfig {
  nodeId: string;
  /** The node's certificate (endorsed by the service) and key, which sign the ledger's roots. */
  nodeCertPem: string;
  nodePrivateKeyPem: string;
  serviceCertPem: string;
  /** `<workspace>/ledger` and the ledger secret's file. */
  ledgerDir: string;
  ledgerSecretPath: string;
  signatures: Partial<SignatureSchedule>;
  /**
   * The initial members. With a private key, the sandbox acts for the member (acks it at
   * start-up, signs proposals and ballots for it); without one the member stays Accepted until
   * it acks with its own key.
   */
  members: { certPem: string; privateKeyPem?: string }[];
  users: { certPem: string }[];
  bundle?: { metadata: unknown; modules: { name: string; module: string }[] };
  /** JavaScript appended to the default constitution (`SandboxOptions.constitution`). */
  constitutionAdditions: string[];
  snpTrust: SnpTrust;
}

export type HostToEngine =
  | { type: "request"; id: number; request: HttpRequest }
  | { type: "actions"; id: number; actions: GovernanceAction[] }
  | { type: "stop"; id: number };

export type EngineToHost =
  | { type: "ready" }
  | { type: "failed"; message: string; code?: string }
  | { type: "response"; id: number; response: HttpResponse }
  | { type: "actions-done"; id: number; error?: { code: string; message: string } }
  | { type: "stopped"; id: number }
  | { type: "log"; line: string };
