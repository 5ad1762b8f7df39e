// The clean room's governance client: HTTPS pinned to the service certificate and no client
// certificate (the runtime has no identity of its own). It discovers runs, claims them with
// evidence, and makes every later request as a payload signed by the run's key; what governance
// releases comes back wrapped to that key and is unwrapped here. Refusals keep governance's code
// and message (GovernanceError), so a refused key fails the run with that reason.
import type {
  Attestation,
  CompletePayload,
  Counters,
  FailPayload,
  NonceResponse,
  OutputDigest,
  ProgressPayload,
  RuntimePayload,
  WrappedKeyResponse,
  WrappedSecretResponse,
} from "../../contracts/src/attestation.js";
import type { DatasetRecord } from "../../contracts/src/dataset.js";
import type { TokenResponse } from "../../contracts/src/oidc.js";
import type { QueryDocument } from "../../contracts/src/query.js";
import type { PendingRun } from "../../contracts/src/run.js";
import { Transport } from "../../client/governance/transport.js";
import type { RunKey } from "./runkey.js";

export type { PendingRun };

/** What a successful claim hands the clean room: the query, its parameters, its datasets. */
export interface ClaimedRun {
  runId: string;
  contractId: string;
  query: { queryId: string; version: string; document: QueryDocument };
  parameters: Record<string, unknown>;
  datasets: (DatasetRecord & { role: "input" | "output" })[];
}

export interface RuntimeGovernanceOptions {
  endpoint: string;
  serviceCertPem: string;
  contractId: string;
  /** Per request (default 30 s). */
  timeoutMs?: number;
}

export class RuntimeGovernance {
  readonly contractId: string;
  private readonly transport: Transport;
  private readonly base: string;

  constructor(options: RuntimeGovernanceOptions) {
    this.contractId = options.contractId;
    this.base = `/app/contracts/${encodeURIComponent(options.contractId)}`;
    // Few transport retries: the agent's loop has its own backoff for outages.
    this.transport = new Transport({
      url: options.endpoint,
      serviceCertPem: options.serviceCertPem,
      timeoutMs: options.timeoutMs ?? 30_000,
      retries: 2,
    });
  }

  close(): void {
    this.transport.close();
  }

  /** Every run of the contract still Requested, oldest first. */
  async pendingRuns(): Promise<PendingRun[]> {
    const runs: PendingRun[] = [];
    let path: string | undefined = `${this.base}/pending-runs?limit=500`;
    while (path !== undefined) {
      const reply: { body: { value: PendingRun[]; nextLink?: string } } =
        await this.transport.request({ method: "GET", path });
      runs.push(...reply.body.value);
      path = reply.body.nextLink;
    }
    return runs;
  }

  async nonce(runId: string): Promise<NonceResponse> {
    return this.post<NonceResponse>(`${this.runPath(runId)}/nonce`, {});
  }

  async claim(
    runId: string,
    body: { attestation: Attestation; publicKeyPem: string; nonce: string },
  ): Promise<ClaimedRun> {
    return this.post<ClaimedRun>(`${this.runPath(runId)}/claim`, body);
  }

  /** The dataset's DEK, unwrapped (the caller wipes it). */
  async datasetKey(key: RunKey, runId: string, datasetId: string): Promise<Buffer> {
    const reply = await this.signed<WrappedKeyResponse>(
      key,
      `${this.runPath(runId)}/keys/${encodeURIComponent(datasetId)}`,
      { runId, purpose: "key", datasetId },
    );
    return key.unwrap(reply.wrappedKey);
  }

  /** An owner's access grant (`<ownerId>:<name>`), its value unwrapped (the caller wipes it). */
  async secret(
    key: RunKey,
    runId: string,
    secretId: string,
  ): Promise<{ kind: string; expiresAt?: string; value: Buffer }> {
    const reply = await this.signed<WrappedSecretResponse>(
      key,
      `${this.runPath(runId)}/secrets/${encodeURIComponent(secretId)}`,
      { runId, purpose: "secret", secretId },
    );
    const secret = { kind: reply.kind, value: key.unwrap(reply.wrappedValue) };
    return reply.expiresAt === undefined ? secret : { ...secret, expiresAt: reply.expiresAt };
  }

  /** An OIDC token for the run (governance's issuer), unwrapped. */
  async token(key: RunKey, runId: string, audience: string): Promise<string> {
    const reply = await this.signed<TokenResponse>(key, `${this.base}/oidc/token`, {
      runId,
      purpose: "token",
      audience,
    });
    return key.unwrap(reply.wrappedToken).toString("utf8");
  }

  async progress(
    key: RunKey,
    runId: string,
    report: Omit<ProgressPayload, keyof RuntimePayload>,
  ): Promise<void> {
    await this.signed(key, `${this.runPath(runId)}/progress`, {
      runId,
      purpose: "progress",
      ...report,
    });
  }

  async complete(
    key: RunKey,
    runId: string,
    result: { rowCounts: Counters; durationsMs: Counters; outputDigests: OutputDigest[] },
  ): Promise<void> {
    const payload: Omit<CompletePayload, "contractId"> = { runId, purpose: "complete", ...result };
    await this.signed(key, `${this.runPath(runId)}/complete`, payload);
  }

  async fail(key: RunKey, runId: string, reason: string): Promise<void> {
    const payload: Omit<FailPayload, "contractId"> = { runId, purpose: "fail", reason };
    await this.signed(key, `${this.runPath(runId)}/fail`, payload);
  }

  private runPath(runId: string): string {
    return `${this.base}/runs/${encodeURIComponent(runId)}`;
  }

  private async post<T>(path: string, json: unknown): Promise<T> {
    return (await this.transport.request<T>({ method: "POST", path, json })).body;
  }

  private signed<T>(
    key: RunKey,
    path: string,
    payload: Omit<RuntimePayload, "contractId">,
  ): Promise<T> {
    return this.post<T>(path, key.signed({ contractId: this.contractId, ...payload }));
  }
}
