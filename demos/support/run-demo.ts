// Runs the analytics demo as a user would — the built entry, as its own process — in a fresh
// folder, and reads the report it writes (for its end-to-end test and its benchmark).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DemoReport } from "../analytics/journal.js";

export const DEMO_MAIN = fileURLToPath(new URL("../analytics/main.js", import.meta.url));

export interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The report, when the demo got far enough to write it. */
  report: DemoReport | undefined;
  /** The working folder it was given (removed by the demo unless --keep). */
  workdir: string;
  /** Whether the working folder still exists after it exited. */
  workdirLeft: boolean;
  /** From starting the process to its exit, in milliseconds. */
  wallMs: number;
}

/** Runs `node dist/demos/analytics/main.js` with `args`; `echo` receives its output as it comes. */
export async function runDemo(
  args: string[] = [],
  echo?: (chunk: string) => void,
): Promise<DemoRun> {
  const parent = mkdtempSync(join(tmpdir(), "cleanroom-demo-run-"));
  const workdir = join(parent, "work");
  const reportFile = join(parent, "report.json");
  const started = performance.now();
  try {
    const child = spawn(
      process.execPath,
      [DEMO_MAIN, "--workdir", workdir, "--report", reportFile, ...args],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      echo?.(chunk.toString());
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", resolve);
    });
    const report = existsSync(reportFile)
      ? (JSON.parse(readFileSync(reportFile, "utf8")) as DemoReport)
      : undefined;
    const wallMs = performance.now() - started;
    return { code, stdout, stderr, report, workdir, workdirLeft: existsSync(workdir), wallMs };
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

/** Live processes whose command line or working folder names `dir` (none may outlive the demo). */
export function processesUnder(dir: string): number[] {
  if (!existsSync("/proc")) return [];
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        if (stat.slice(stat.lastIndexOf(")") + 2)[0] === "Z") return false;
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        return cmdline.includes(dir) || readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
      } catch {
        return false; // It exited meanwhile, or is not ours to look at.
      }
    })
    .map(Number);
}
