import type { SnpTrust } from "./globals/snp.js";

export type { SnpTrust } from "./globals/snp.js";

/**
 * Public types of the sandbox: what a caller of `startSandbox` (the CLI, tests, benchmarks)
 * sees. Everything else in `sandbox/` is internal.
 */

/** One governance action, in the shape CCF proposals carry: `{"name": …, "args": …}`. */
export interface GovernanceAction {
  name: string;
  args?: Record<string, unknown>;
}

export interface SandboxOptions {
  /** App bundle: a directory (`app.json` + `src/`) or a `bundle.json`. */
  bundle?: string;
  /**
   * Workspace directory; created if missing, reused (keys, certificates and ledger kept) if
   * present. Without one, the sandbox uses a temporary workspace and removes it on `stop()`.
   */
  workspace?: string;
  /** Number of initial members (default 1). */
  members?: number;
  /** Number of initial users (default 1). */
  users?: number;
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /**
   * Roots that `snp_attestation.verifySnpAttestation` trusts: AMD's root keys and the UVM
   * endorsement issuers that CCF trusts by default. Tests pass the roots of evidence they made.
   */
  snpTrust?: SnpTrust;
  /**
   * Paths of JavaScript files appended, in order, to the default constitution (validate, resolve,
   * apply and the default actions): how a deployed bundle brings its own governance actions.
   * Each file is evaluated as part of the constitution module, after the default actions, and
   * registers actions with `actions.set(name, { validate(args), apply(args, proposalId) })`; it
   * may use the default constitution's helpers (`checkType`, `getJson`, `setJson`, …) but must
   * not export `validate`, `resolve` or `apply`. Used at genesis only.
   */
  constitution?: string[];
  /**
   * When the node signs the ledger (a signature transaction over the Merkle root), which is when
   * transactions become Committed: after `txCount` transactions or `delayMs` milliseconds,
   * whichever comes first (default 5000 / 50 ms; CCF's default is 5000 / 1000 ms).
   */
  signatures?: { txCount?: number; delayMs?: number };
  /** Receives host and app log lines (`[app]` lines come from the app's `console`). */
  log?: (line: string) => void;
}

export interface Sandbox {
  /** `https://host:port` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Absolute path of the workspace directory. */
  readonly workspace: string;
  /** PEM of the service certificate, the CA that clients pin. */
  readonly serviceCertPem: string;
  /**
   * Passes governance actions (`set_user`, `set_jwt_issuer`, `set_js_runtime_options`, …, with the
   * arguments of CCF's default constitution) as a real proposal: signed by member0 (the first
   * member whose key the workspace holds) and voted for by the other members until it is
   * Accepted, all through the `/gov` API. Rejects with the proposal's error (`code`
   * `ProposalFailedToValidate`, `ProposalFailedToApply`, …) if it fails; then nothing is applied.
   */
  applyActions(actions: GovernanceAction[]): Promise<void>;
  /** Stops the server and the engine. Idempotent. */
  stop(): Promise<void>;
}
