// What the demo did: each persona's steps as they finish (with their time), the checks of their
// results, the time of each phase, and the summary printed at the end.

export type Persona = "demo" | "operator" | "northwind" | "woodgrove";

export interface StepRecord {
  persona: Persona;
  phase: string;
  label: string;
  ms: number;
}

export interface CheckRecord {
  label: string;
  ok: boolean;
  detail: string;
}

export interface PhaseRecord {
  name: string;
  ms: number;
}

/** The machine-readable report (`--report <file>`): what the test and the benchmark read. */
export interface DemoReport {
  ok: boolean;
  totalMs: number;
  phases: PhaseRecord[];
  steps: StepRecord[];
  checks: CheckRecord[];
  error: string | null;
}

const WIDTH = "[northwind]".length;

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A count for people: 120,000. */
export const count = (n: number) => n.toLocaleString("en-US");

export class Journal {
  readonly steps: StepRecord[] = [];
  readonly checks: CheckRecord[] = [];
  readonly phases: PhaseRecord[] = [];
  private current = "start";
  private halted = false;
  private readonly started = performance.now();

  constructor(private readonly write: (line: string) => void) {}

  /** Runs one phase of the demo (phases follow each other; their times add up to the total). */
  async phase<T>(name: string, title: string, body: () => Promise<T>): Promise<T> {
    this.current = name;
    this.write(`\n== ${title}`);
    const t0 = performance.now();
    try {
      return await body();
    } finally {
      this.phases.push({ name, ms: performance.now() - t0 });
    }
  }

  /** Runs one step of a persona and prints `[persona] label … 0.4 s` once it is done. */
  async step<T>(
    persona: Persona,
    label: string,
    body: () => Promise<T>,
    outcome?: (result: T) => string,
  ): Promise<T> {
    if (this.halted) throw new Error("interrupted");
    const t0 = performance.now();
    const result = await body();
    this.record(persona, label, performance.now() - t0, outcome ? ` → ${outcome(result)}` : "");
    return result;
  }

  /** Records and prints a step that is over (also while stopping, after an interruption). */
  record(persona: Persona, label: string, ms: number, tail = ""): void {
    this.steps.push({ persona, phase: this.current, label, ms });
    this.write(`${`[${persona}]`.padEnd(WIDTH)} ${label} … ${seconds(ms)}${tail}`);
  }

  /** No step starts from now on (the demo was interrupted and is stopping). */
  halt(): void {
    this.halted = true;
  }

  /** A line of what a step showed (a table, a reason), indented under it. */
  show(text: string): void {
    for (const line of text.trimEnd().split("\n")) this.write(`${" ".repeat(WIDTH + 3)}${line}`);
  }

  /** Records whether a result is what it should be; a failed check makes the demo exit 1. */
  check(label: string, ok: boolean, detail: string): boolean {
    this.checks.push({ label, ok, detail });
    this.write(`${" ".repeat(WIDTH)} ${ok ? "✓" : "✗"} ${label}: ${detail}`);
    return ok;
  }

  get ok(): boolean {
    return this.checks.every((c) => c.ok);
  }

  report(error: string | null): DemoReport {
    return {
      ok: error === null && this.ok,
      totalMs: performance.now() - this.started,
      phases: this.phases,
      steps: this.steps,
      checks: this.checks,
      error,
    };
  }

  /** The summary: time per phase and per persona, then every check. */
  summary(report: DemoReport): string {
    const lines = ["", "== Summary", "", "  phase           time"];
    for (const p of report.phases)
      lines.push(`  ${p.name.padEnd(14)} ${seconds(p.ms).padStart(6)}`);
    lines.push(`  ${"total".padEnd(14)} ${seconds(report.totalMs).padStart(6)}`, "");
    lines.push("  persona      steps    time");
    const personas = [...new Set(report.steps.map((s) => s.persona))];
    for (const persona of personas) {
      const mine = report.steps.filter((s) => s.persona === persona);
      const ms = mine.reduce((sum, s) => sum + s.ms, 0);
      lines.push(
        `  ${persona.padEnd(12)} ${String(mine.length).padStart(5)} ${seconds(ms).padStart(7)}`,
      );
    }
    const failed = report.checks.filter((c) => !c.ok).length;
    lines.push("", `  checks: ${report.checks.length - failed} passed, ${failed} failed`);
    for (const c of report.checks) lines.push(`  ${c.ok ? "✓" : "✗"} ${c.label}: ${c.detail}`);
    if (report.error !== null) lines.push("", `  stopped early: ${report.error}`);
    lines.push("", report.ok ? "Demo completed: every result is as expected." : "Demo FAILED.");
    return lines.join("\n");
  }
}
