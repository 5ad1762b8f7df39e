// The agent for one contract: it polls governance for requested runs, claims each with fresh
// evidence and executes it, one at a time. Governance being unreachable is an outage, not an
// error: the agent keeps polling with backoff and says so once. A refused claim (say, a
// measurement the contract does not allow) leaves the run Requested; the agent logs it once and
// tries it again later. Runs it had claimed when it stopped are in its journal: it re-runs them
// from the start with the same key, or fails them cleanly after too many attempts.
import { evidenceFor, type EvidenceProvider } from "./attestation.js";
import { failureOf } from "./errors.js";
import type { RuntimeGovernance } from "./governance.js";
import { Journal, type JournalEntry } from "./journal.js";
import { NextRunKey } from "./next-key.js";
import { performRun, type RunContext } from "./run.js";
import { RunKey } from "./runkey.js";
import { isTransportFailure } from "./transport.js";
import type { Logger } from "./workspace.js";

export interface AgentCounts {
  claimed: number;
  completed: number;
  failed: number;
  claimsRefused: number;
}

export interface AgentState {
  connected: boolean;
  currentRun: { runId: string; phase?: string; startedAt: string } | null;
  counts: AgentCounts;
}

export interface AgentOptions extends Omit<RunContext, "onPhase" | "log"> {
  governance: RuntimeGovernance;
  evidence: EvidenceProvider;
  workspace: string;
  log: Logger;
  /** From one poll to the next while idle (default 1000 ms). */
  pollMs?: number;
  /** Longest wait between attempts while governance is unreachable (default 10 s). */
  maxBackoffMs?: number;
  /** How long a run whose claim was refused is left alone (default 30 s). */
  claimRetryMs?: number;
  /** Executions of one run before the agent fails it (default 2: the first and one resume). */
  maxAttempts?: number;
  /** Told whenever the state changes (for the status file). */
  onState?: (state: AgentState) => void;
}

export class Agent {
  private readonly journal: Journal;
  private readonly pollMs: number;
  private readonly maxBackoffMs: number;
  private readonly claimRetryMs: number;
  private readonly maxAttempts: number;
  /** Runs whose claim was refused, with when to try again. */
  private readonly deferred = new Map<string, number>();
  private readonly keys = new NextRunKey();
  private readonly state: AgentState = {
    connected: false,
    currentRun: null,
    counts: { claimed: 0, completed: 0, failed: 0, claimsRefused: 0 },
  };
  private stopping = false;
  private wake: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];
  private loopDone: Promise<void> | undefined;
  private outage = false;
  /** The reason last logged as `agent.error`, until the loop works again. */
  private problem: string | undefined;

  constructor(private readonly options: AgentOptions) {
    this.journal = new Journal(options.workspace);
    this.pollMs = options.pollMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.claimRetryMs = options.claimRetryMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 2;
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  /** Stops after the current run (if any) has reported its outcome. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loopDone;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /**
   * Resolves after the next poll that found nothing to do, once the next run's key is ready (or
   * when the agent stops).
   */
  whenIdle(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private get log(): Logger {
    return this.options.log;
  }

  private changed(): void {
    this.options.onState?.({ ...this.state, counts: { ...this.state.counts } });
  }

  private async loop(): Promise<void> {
    let backoffMs = this.pollMs;
    while (!this.stopping) {
      const polledAt = performance.now();
      let delayMs = 0;
      try {
        const worked = (await this.resumeJournal()) || (await this.claimPending());
        this.reconnected();
        this.problem = undefined;
        backoffMs = this.pollMs;
        if (!worked) {
          // Idle: the next run's key is made now, not while a run waits for its claim. (A run
          // requested meanwhile loses nothing: its claim would wait for this key anyway.)
          await this.keys.ready();
          for (const resolve of this.idleWaiters.splice(0)) resolve();
          // Polls start pollMs apart, however long governance took to answer.
          delayMs = this.pollMs - (performance.now() - polledAt);
        }
      } catch (error) {
        if (isTransportFailure(error)) this.disconnected(error.code, error.message);
        else this.failed(error);
        backoffMs = Math.min(backoffMs * 2, this.maxBackoffMs);
        delayMs = backoffMs;
      }
      await this.sleep(delayMs);
    }
  }

  /** An unexpected failure of the loop itself: logged once until the loop works again. */
  private failed(error: unknown): void {
    const failure = failureOf(error);
    if (this.problem === failure.reason) return;
    this.problem = failure.reason;
    this.log("error", "agent.error", failure);
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private reconnected(): void {
    if (this.state.connected) return;
    this.log("info", this.outage ? "governance.reconnected" : "governance.connected");
    this.outage = false;
    this.state.connected = true;
    this.changed();
  }

  /** Logged once per outage. */
  private disconnected(code: string, message: string): void {
    if (this.outage) return;
    this.outage = true;
    this.state.connected = false;
    this.log("warn", "governance.unreachable", { code, reason: message });
    this.changed();
  }

  /** Claims and executes the first pending run not deferred; whether there was one. */
  private async claimPending(): Promise<boolean> {
    const now = Date.now();
    for (const [runId, until] of this.deferred) if (until <= now) this.deferred.delete(runId);
    const pending = await this.options.governance.pendingRuns();
    const next = pending.find((run) => !this.deferred.has(run.runId));
    if (next === undefined || this.stopping) return false;
    await this.claimAndRun(next.runId);
    return true;
  }

  private async claimAndRun(runId: string): Promise<void> {
    const key = await this.keys.take();
    // In the journal before the claim is sent: the key must outlive a crash after the claim.
    const entry: JournalEntry = { runId, privateKeyPem: key.privateKeyPem(), attempts: 0 };
    this.journal.put(entry);
    try {
      const { nonce } = await this.options.governance.nonce(runId);
      const attestation = await evidenceFor(this.options.evidence, key.publicKeyPem, nonce);
      entry.claim = await this.options.governance.claim(runId, {
        attestation,
        publicKeyPem: key.publicKeyPem,
        nonce,
      });
    } catch (error) {
      // Unreachable mid-claim: the claim may or may not have happened; the journal decides.
      if (isTransportFailure(error)) throw error;
      this.journal.remove(runId);
      this.deferred.set(runId, Date.now() + this.claimRetryMs);
      this.state.counts.claimsRefused++;
      this.log("warn", "run.claim.refused", { runId, ...failureOf(error) });
      this.changed();
      return;
    }
    this.state.counts.claimed++;
    this.log("info", "run.claimed", {
      runId,
      queryId: entry.claim.query.queryId,
      queryVersion: entry.claim.query.version,
    });
    await this.execute(entry, key);
  }

  private async execute(entry: JournalEntry, key: RunKey): Promise<void> {
    entry.attempts++;
    this.journal.put(entry);
    this.state.currentRun = { runId: entry.runId, startedAt: new Date().toISOString() };
    this.changed();
    try {
      const outcome = await performRun(
        {
          ...this.options,
          onPhase: (phase) => {
            if (this.state.currentRun) this.state.currentRun.phase = phase;
            this.changed();
          },
        },
        key,
        entry.claim!,
      );
      this.journal.remove(entry.runId);
      if (outcome.state === "Completed") this.state.counts.completed++;
      else this.state.counts.failed++;
    } finally {
      this.state.currentRun = null;
      this.changed();
    }
  }

  /**
   * Runs left in the journal by a previous agent (or by an outage): re-run each claimed one, fail
   * it after `maxAttempts`, and settle claims whose answer never arrived. Whether any was found.
   */
  private async resumeJournal(): Promise<boolean> {
    const entries = this.journal.entries();
    if (entries.length === 0) return false;
    const unanswered = entries.filter((entry) => entry.claim === undefined);
    const pending =
      unanswered.length > 0
        ? new Set((await this.options.governance.pendingRuns()).map((run) => run.runId))
        : new Set<string>();
    for (const entry of entries) {
      if (this.stopping) break;
      const key = RunKey.fromPem(entry.privateKeyPem);
      if (entry.claim === undefined) {
        if (pending.has(entry.runId)) {
          // The claim never happened: the run is claimed afresh from the pending list.
          this.journal.remove(entry.runId);
        } else {
          await this.abandon(
            entry,
            key,
            "RuntimeRestarted: the clean room lost the answer to its claim; request the run again.",
          );
        }
      } else if (entry.attempts >= this.maxAttempts) {
        await this.abandon(
          entry,
          key,
          `RuntimeRestarted: the run was interrupted ${entry.attempts} times; request it again.`,
        );
      } else {
        this.log("info", "run.resumed", { runId: entry.runId, attempt: entry.attempts + 1 });
        await this.execute(entry, key);
      }
    }
    return true;
  }

  /** Fails a journaled run with `reason` (if it is still ours to fail) and forgets it. */
  private async abandon(entry: JournalEntry, key: RunKey, reason: string): Promise<void> {
    try {
      await this.options.governance.fail(key, entry.runId, reason);
      this.state.counts.failed++;
      this.log("warn", "run.abandoned", { runId: entry.runId, reason });
    } catch (error) {
      if (isTransportFailure(error)) throw error;
      // Not bound to this key, or already finished: nothing left to settle.
      this.log("info", "run.forgotten", { runId: entry.runId, ...failureOf(error) });
    }
    this.journal.remove(entry.runId);
    this.changed();
  }
}
