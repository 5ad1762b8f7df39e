/**
 * The analytics demo end to end, timed: runs `dist/demos/analytics/main.js` as a process (as
 * `npm run demo` does) and records its total time (the process's, start to exit) and the time of
 * each phase (as the demo reports them). Target: the whole demo in under 60 s on this machine.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/demo.js
 */
import { runDemo } from "../demos/support/run-demo.js";
import { machine, printFigures, saveFigures, type Figure } from "./results.js";

const TARGET_SECONDS = 60;

async function main(): Promise<void> {
  console.log(`Machine: ${machine()}`);
  const run = await runDemo();
  if (run.code !== 0 || run.report === undefined || !run.report.ok) {
    process.stdout.write(run.stdout);
    process.stderr.write(run.stderr);
    throw new Error(`the demo failed (exit ${run.code}): nothing recorded`);
  }
  const seconds = (ms: number) => ms / 1000;
  const figures: Figure[] = [
    {
      name: "demo.total",
      value: seconds(run.wallMs),
      unit: "s",
      target: TARGET_SECONDS,
      better: "lower",
    },
    ...run.report.phases.map((phase): Figure => ({
      name: `demo.phase.${phase.name}`,
      value: seconds(phase.ms),
      unit: "s",
      target: null,
      better: "lower",
    })),
  ];
  printFigures(figures);
  console.log(`Saved ${saveFigures("demo", figures)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
