import assert from "node:assert/strict";
import { emailHash, expectedOverlap, generate, RARE_SEGMENT, type DemoData } from "./data.js";
import { compareOverlap, readOverlapCsv } from "./result.js";

const SIZES = { audience: 3000, customers: 2500, overlap: 1000 };

describe("demo data: deterministic, with a meaningful shared key", function () {
  it("the same seed gives the same rows; another seed other rows", function () {
    const a = generate(7, SIZES);
    assert.deepEqual(generate(7, SIZES), a);
    assert.notDeepEqual(generate(8, SIZES).audience, a.audience);
    assert.equal(a.audience.length, SIZES.audience);
    assert.equal(a.customers.length, SIZES.customers);
  });

  it("exactly `overlap` people are in both, keyed by the hash of the lower-cased e-mail", function () {
    const { audience, customers } = generate(3, SIZES);
    const readers = new Set(audience.map((r) => r.email_hash));
    const both = customers.filter((c) => readers.has(c.email_hash));
    assert.equal(both.length, SIZES.overlap);
    for (const c of customers) assert.equal(c.email_hash, emailHash(c.email.toLowerCase()));
    assert.ok(
      customers.some((c) => c.email !== c.email.toLowerCase()),
      "some addresses vary in case",
    );
  });

  it("the rare segment stays below the minimum group size in the overlap", function () {
    const expected = expectedOverlap(generate(7, SIZES), 50);
    assert.deepEqual(
      expected.dropped.map((d) => d.segment),
      [RARE_SEGMENT],
    );
    assert.equal(expected.dropped[0]!.customers, 1);
    assert.equal(
      expected.kept.reduce((sum, g) => sum + g.customers, 0),
      SIZES.overlap - 1,
    );
  });
});

describe("demo result: the plain computation and the comparison with the clean room's CSV", function () {
  const tiny: DemoData = {
    audience: [
      { email_hash: "a", segment: "sports", age_band: "18-24", device_id: "d1" },
      { email_hash: "b", segment: "sports", age_band: "25-34", device_id: "d2" },
      { email_hash: "c", segment: "travel", age_band: "25-34", device_id: "d3" },
      { email_hash: "z", segment: "cooking", age_band: "65+", device_id: "d4" },
    ],
    customers: [
      { email_hash: "a", loyalty_tier: "gold", lifetime_value: 10, email: "a@x" },
      { email_hash: "b", loyalty_tier: "gold", lifetime_value: 20.01, email: "b@x" },
      { email_hash: "c", loyalty_tier: "bronze", lifetime_value: 5, email: "c@x" },
      { email_hash: "q", loyalty_tier: "bronze", lifetime_value: 99, email: "q@x" },
    ],
  };

  it("counts and averages matched people per segment, dropping small groups", function () {
    assert.deepEqual(expectedOverlap(tiny, 2), {
      kept: [{ segment: "sports", customers: 2, avgLifetimeValue: 15.01 }],
      dropped: [{ segment: "travel", customers: 1, avgLifetimeValue: 5 }],
    });
  });

  it("reads the runtime's CSV (CRLF, quoted fields) and finds every difference", function () {
    const expected = expectedOverlap(tiny, 2);
    const csv = 'segment,customers,avg_lifetime_value\r\n"sports",2,15.01\r\n';
    assert.deepEqual(compareOverlap(readOverlapCsv(csv), expected), []);
    const wrong = readOverlapCsv(
      "segment,customers,avg_lifetime_value\r\nsports,3,15.5\r\ntravel,1,5\r\n",
    );
    assert.deepEqual(compareOverlap(wrong, expected), [
      "segments are sports, travel, expected sports",
      "sports: 3 customers, expected 2",
      "sports: average 15.5, expected 15.01",
      "travel is below the minimum group size but was output",
    ]);
    assert.throws(() => readOverlapCsv("segment,n\r\n"), /no column customers/);
  });
});
