// The demo's synthetic data: the same rows for the same seed, every time. Northwind (a publisher)
// holds an audience with interest segments; woodgrove (an advertiser) holds its customers. Both key
// people by the SHA-256 of their lower-cased e-mail address, so the clean room can join them
// without either side revealing addresses; some overlap is built in, and one segment is kept rare
// on purpose so the query's minimum group size has something to drop.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { once } from "node:events";

const SEGMENTS = [
  "sports",
  "travel",
  "cooking",
  "gaming",
  "finance",
  "parenting",
  "automotive",
] as const;
/** Every RARE_EVERY-th person is in this segment: too few in the overlap to be reported. */
export const RARE_SEGMENT = "sailing";
const RARE_EVERY = 1000;
const SEGMENT_WEIGHTS = [22, 18, 16, 14, 12, 10, 8];

const AGE_BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"] as const;
const TIERS = ["bronze", "silver", "gold", "platinum"] as const;
const TIER_BASE = [40, 180, 600, 1900];
const FIRST = ["ana", "ben", "chen", "dara", "eli", "fatima", "gus", "hana", "ivan", "jo"];
const LAST = ["smith", "garcia", "kim", "okafor", "novak", "silva", "tanaka", "weber", "ali"];
const DOMAINS = ["example.com", "example.net", "example.org"];

export interface DataSizes {
  /** Northwind's audience rows. */
  audience: number;
  /** Woodgrove's customer rows. */
  customers: number;
  /** People in both (at most the smaller of the two). */
  overlap: number;
}

export interface AudienceRow {
  email_hash: string;
  segment: string;
  age_band: string;
  /** Not an allowed field: no query may read it. */
  device_id: string;
}

export interface CustomerRow {
  email_hash: string;
  loyalty_tier: string;
  lifetime_value: number;
  /** Not an allowed field: no query may read it. */
  email: string;
}

export interface DemoData {
  audience: AudienceRow[];
  customers: CustomerRow[];
}

/** A small, fast, seeded generator (xorshift32): the demo needs repeatability, not secrecy. */
class Seeded {
  private state: number;

  constructor(seed: number) {
    this.state = (seed >>> 0) ^ 0x9e3779b9 || 1;
  }

  /** A number in [0, 1). */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 2 ** 32;
  }

  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(values: readonly T[]): T {
    return values[this.below(values.length)]!;
  }

  weighted<T>(values: readonly T[], weights: readonly number[]): T {
    const total = weights.reduce((a, b) => a + b, 0);
    let roll = this.next() * total;
    for (let i = 0; i < values.length; i++) {
      roll -= weights[i]!;
      if (roll < 0) return values[i]!;
    }
    return values[values.length - 1]!;
  }

  shuffle<T>(values: T[]): T[] {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [values[i], values[j]] = [values[j]!, values[i]!];
    }
    return values;
  }
}

/** The join key both parties compute on their side. */
export function emailHash(email: string): string {
  return createHash("sha256").update(email.trim().toLowerCase()).digest("hex");
}

/**
 * People 0 … overlap-1 are in both datasets, the next ones in northwind's only, the rest in
 * woodgrove's only; each party's rows come out shuffled.
 */
export function generate(seed: number, sizes: DataSizes): DemoData {
  if (sizes.overlap > Math.min(sizes.audience, sizes.customers)) {
    throw new Error("the overlap cannot be larger than either dataset");
  }
  const random = new Seeded(seed);
  const people = sizes.audience + sizes.customers - sizes.overlap;
  const audience: AudienceRow[] = [];
  const customers: CustomerRow[] = [];
  for (let i = 0; i < people; i++) {
    const email = `${random.pick(FIRST)}.${random.pick(LAST)}.${i}@${random.pick(DOMAINS)}`;
    const hash = emailHash(email);
    const inAudience = i < sizes.audience;
    const isCustomer = i < sizes.overlap || i >= sizes.audience;
    if (inAudience) {
      audience.push({
        email_hash: hash,
        segment:
          i % RARE_EVERY === RARE_EVERY - 1
            ? RARE_SEGMENT
            : random.weighted(SEGMENTS, SEGMENT_WEIGHTS),
        age_band: random.pick(AGE_BANDS),
        device_id: `dev-${random.below(2 ** 31).toString(36)}`,
      });
    }
    if (isCustomer) {
      const tier = random.weighted(TIERS, [50, 30, 15, 5]);
      const base = TIER_BASE[TIERS.indexOf(tier)]!;
      customers.push({
        email_hash: hash,
        loyalty_tier: tier,
        lifetime_value: Math.round(base * (0.5 + random.next()) * 100) / 100,
        // Woodgrove keeps addresses as customers typed them.
        email: random.next() < 0.3 ? email.toUpperCase() : email,
      });
    }
  }
  return { audience: random.shuffle(audience), customers: random.shuffle(customers) };
}

/** Writes rows as CSV with a header line (values here never need quoting). */
export async function writeCsv<T extends object>(
  path: string,
  columns: readonly (keyof T & string)[],
  rows: readonly T[],
): Promise<number> {
  const out = createWriteStream(path);
  const lines: string[] = [columns.join(",")];
  const flush = async () => {
    if (!out.write(`${lines.join("\n")}\n`)) await once(out, "drain");
    lines.length = 0;
  };
  for (const row of rows) {
    lines.push(columns.map((c) => String(row[c])).join(","));
    if (lines.length >= 10_000) await flush();
  }
  if (lines.length > 0) await flush();
  out.end();
  await once(out, "close");
  return out.bytesWritten;
}

export interface SegmentResult {
  segment: string;
  customers: number;
  avgLifetimeValue: number;
}

export interface ExpectedOverlap {
  /** The groups the output must hold, largest first. */
  kept: SegmentResult[];
  /** Segments with some overlap but fewer people than the minimum group size. */
  dropped: SegmentResult[];
}

/**
 * The answer the clean room should give, computed in plain code over both parties' plaintext
 * (which only the demo, playing both parties, can do): per segment, how many of woodgrove's
 * customers are in northwind's audience and their average lifetime value, groups smaller than
 * `minGroupSize` left out.
 */
export function expectedOverlap(data: DemoData, minGroupSize: number): ExpectedOverlap {
  const segmentOf = new Map(data.audience.map((row) => [row.email_hash, row.segment]));
  const groups = new Map<string, { count: number; sum: number }>();
  for (const customer of data.customers) {
    const segment = segmentOf.get(customer.email_hash);
    if (segment === undefined) continue;
    const group = groups.get(segment) ?? { count: 0, sum: 0 };
    group.count++;
    group.sum += customer.lifetime_value;
    groups.set(segment, group);
  }
  const all = [...groups].map(([segment, g]) => ({
    segment,
    customers: g.count,
    avgLifetimeValue: Math.round((g.sum / g.count) * 100) / 100,
  }));
  return {
    kept: all
      .filter((g) => g.customers >= minGroupSize)
      .sort((a, b) => b.customers - a.customers || a.segment.localeCompare(b.segment)),
    dropped: all.filter((g) => g.customers < minGroupSize),
  };
}
