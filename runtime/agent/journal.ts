// The runs this agent has claimed and not yet finished, with the key each is bound to: written
// before the claim is sent and removed once governance has recorded the outcome, so that an agent
// that stops at any point finds on restart every run it may hold, and can still sign for it.
import type { ClaimedRun } from "./governance.js";
import { JOURNAL_FILE, readJsonFile, writeJsonFile } from "./workspace.js";

export interface JournalEntry {
  runId: string;
  /** PKCS#8 PEM of the run key. */
  privateKeyPem: string;
  /** What the claim answered, once it did (no secrets: documents and wrapped keys). */
  claim?: ClaimedRun;
  /** Executions started (1 for the first). */
  attempts: number;
}

interface JournalFile {
  runs: Record<string, JournalEntry>;
}

export class Journal {
  private readonly runs: Map<string, JournalEntry>;

  constructor(private readonly workspace: string) {
    const file = readJsonFile<JournalFile>(workspace, JOURNAL_FILE);
    this.runs = new Map(Object.entries(file?.runs ?? {}));
  }

  entries(): JournalEntry[] {
    return [...this.runs.values()];
  }

  put(entry: JournalEntry): void {
    this.runs.set(entry.runId, entry);
    this.save();
  }

  remove(runId: string): void {
    if (this.runs.delete(runId)) this.save();
  }

  private save(): void {
    writeJsonFile(this.workspace, JOURNAL_FILE, { runs: Object.fromEntries(this.runs) });
  }
}
