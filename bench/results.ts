/** The benchmarks' result format: `bench/results/<name>.json`, an array of figures. */
import { mkdirSync, writeFileSync } from "node:fs";
import { arch, cpus, totalmem } from "node:os";

export interface Figure {
  name: string;
  value: number;
  unit: string;
  target: number | null;
  better: "higher" | "lower";
}

const RESULTS_DIR = new URL("../../bench/results/", import.meta.url);

export function saveFigures(benchmark: string, figures: Figure[]): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = new URL(`${benchmark}.json`, RESULTS_DIR);
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  return file.pathname;
}

export function printFigures(figures: Figure[]): void {
  for (const f of figures) {
    const verdict =
      f.target === null
        ? ""
        : (f.better === "higher" ? f.value >= f.target : f.value <= f.target)
          ? "  ok"
          : "  BELOW TARGET";
    const target =
      f.target === null ? "" : ` (target ${f.better === "higher" ? "≥" : "≤"} ${f.target})`;
    console.log(
      `${f.name.padEnd(36)} ${String(round(f.value)).padStart(10)} ${f.unit}${target}${verdict}`,
    );
  }
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${arch()}, Node ${process.version}`;
}

export function round(value: number): number {
  return value >= 100 ? Math.round(value) : Math.round(value * 100) / 100;
}

/** The p-th percentile of ascending `sorted` values (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
