// Phase 7: the audit trail. Northwind lists the contract's events (every governance decision and
// every report of the clean room, refusals included); woodgrove verifies each event's receipt
// offline against the service certificate pinned in its own profile.
import { CONTRACT, type World } from "../world.js";

/** Events the trail must hold after the demo's runs. */
const EXPECTED = [
  "dataset.published",
  "query.proposed",
  "run.requested",
  "run.claimed",
  "run.completed",
  "run.failed",
];

export async function auditTrail(world: World): Promise<void> {
  const { journal, northwind, woodgrove } = world;
  const events = await journal.step(
    "northwind",
    `audit events ${CONTRACT}`,
    () => northwind.json<{ type: string; scope: string }[]>(["audit", "events", CONTRACT]),
    (list) => `${list.length} events`,
  );
  const byType = new Map<string, number>();
  for (const e of events) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
  const counts = [...byType].map(([type, n]) => `${type} ×${n}`);
  for (let i = 0; i < counts.length; i += 4) journal.show(counts.slice(i, i + 4).join(", "));
  const missing = EXPECTED.filter((type) => !byType.has(type));
  journal.check(
    "audit trail",
    missing.length === 0,
    missing.length === 0 ? `${EXPECTED.join(", ")} all recorded` : `missing ${missing.join(", ")}`,
  );
  const verified = await journal.step(
    "woodgrove",
    `audit verify ${CONTRACT}`,
    () => woodgrove.json<{ events: number; transactions: number }>(["audit", "verify", CONTRACT]),
    (v) => `${v.events} events, ${v.transactions} receipts verified`,
  );
  journal.check(
    "receipts",
    verified.events >= events.length && verified.transactions > 0,
    `every event's receipt verifies against the pinned service certificate (${verified.transactions} transactions)`,
  );
}
