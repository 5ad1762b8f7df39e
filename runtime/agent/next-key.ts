// The next run's key, made while the agent is idle: an RSA-2048 pair takes 0.1–1 s to generate,
// time a claim would otherwise wait. A key is handed out once: every run gets its own, and a
// claim that was refused does not pass its key on to the next run.
import { RunKey } from "./runkey.js";

export class NextRunKey {
  private next: Promise<RunKey> | undefined;

  /** Makes the next key unless one is ready or being made; resolves once it is ready. */
  async ready(): Promise<void> {
    const next = (this.next ??= RunKey.generate());
    try {
      await next;
    } catch (error) {
      if (this.next === next) this.next = undefined; // the next call tries again
      throw error;
    }
  }

  /** The prepared key (or a new one), which is never returned again. */
  take(): Promise<RunKey> {
    const key = this.next ?? RunKey.generate();
    this.next = undefined;
    return key;
  }
}
