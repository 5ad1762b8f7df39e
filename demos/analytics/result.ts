// Reading the clean room's output (after woodgrove decrypted it) and comparing it with the answer
// computed in plain code over the generated data.
import { readFileSync } from "node:fs";
import type { ExpectedOverlap, SegmentResult } from "./data.js";

/** One CSV field list; handles DuckDB's quoting ("…" with "" inside) for the few fields that need it. */
function fields(line: string): string[] {
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(field);
      field = "";
    } else field += ch;
  }
  out.push(field);
  return out;
}

/** The output's rows as segment results; throws when its columns are not the expected ones. */
export function readOverlapCsv(text: string): SegmentResult[] {
  const lines = text.split(/\r?\n/).filter((line) => line !== "");
  const header = fields(lines[0] ?? "");
  const at = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`the output has no column ${name} (it has ${header.join(", ")})`);
    return i;
  };
  const [segment, customers, avg] = [at("segment"), at("customers"), at("avg_lifetime_value")];
  return lines.slice(1).map((line) => {
    const row = fields(line);
    return {
      segment: row[segment]!,
      customers: Number(row[customers]),
      avgLifetimeValue: Number(row[avg]),
    };
  });
}

export function readOverlap(file: string): SegmentResult[] {
  return readOverlapCsv(readFileSync(file, "utf8"));
}

/**
 * Differences between the output and the expected answer: same segments in the same order, the
 * same counts, averages within a cent (DuckDB and JavaScript may sum in different orders).
 */
export function compareOverlap(actual: SegmentResult[], expected: ExpectedOverlap): string[] {
  const problems: string[] = [];
  const names = (rows: SegmentResult[]) => rows.map((r) => r.segment).join(", ");
  if (names(actual) !== names(expected.kept)) {
    problems.push(`segments are ${names(actual)}, expected ${names(expected.kept)}`);
  }
  for (const want of expected.kept) {
    const got = actual.find((r) => r.segment === want.segment);
    if (got === undefined) continue;
    if (got.customers !== want.customers) {
      problems.push(`${want.segment}: ${got.customers} customers, expected ${want.customers}`);
    }
    if (!(Math.abs(got.avgLifetimeValue - want.avgLifetimeValue) <= 0.011)) {
      problems.push(
        `${want.segment}: average ${got.avgLifetimeValue}, expected ${want.avgLifetimeValue}`,
      );
    }
  }
  for (const { segment } of expected.dropped) {
    if (actual.some((r) => r.segment === segment)) {
      problems.push(`${segment} is below the minimum group size but was output`);
    }
  }
  return problems;
}

/** The output as a small table for people. */
export function formatOverlap(rows: SegmentResult[]): string {
  const lines = [`${"segment".padEnd(12)} ${"customers".padStart(9)}  avg lifetime value`];
  for (const r of rows) {
    lines.push(
      `${r.segment.padEnd(12)} ${String(r.customers).padStart(9)}  ${r.avgLifetimeValue.toFixed(2).padStart(18)}`,
    );
  }
  return lines.join("\n");
}
