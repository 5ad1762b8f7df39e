import assert from "node:assert/strict";
import {
  datasetsOf,
  validateQueryDocument,
  validateQueryParameters,
  type QueryDocument,
} from "./query.js";

export function exampleQuery(overrides: Partial<QueryDocument> = {}): QueryDocument {
  return {
    description: "Sales per campaign",
    sql: [
      { name: "joined", statement: "SELECT * FROM sales JOIN ads USING (customer_id)" },
      {
        statement: "SELECT campaign, SUM(amount) FROM joined WHERE day >= :since GROUP BY campaign",
      },
    ],
    inputs: [
      { datasetId: "nw-sales", view: "sales" },
      { datasetId: "wg-ads", view: "ads" },
    ],
    output: { datasetId: "wg-out" },
    parameters: { since: { type: "date", required: true }, limit: { type: "integer" } },
    preconditions: { minRowsPerView: 100 },
    thresholds: { minGroupSize: 10, groupBy: ["campaign"] },
    ...overrides,
  };
}

function problemsWith(path: string[], value: unknown): string[] {
  const document = JSON.parse(JSON.stringify(exampleQuery())) as Record<string, unknown>;
  let target = document;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  if (value === undefined) delete target[path.at(-1)!];
  else target[path.at(-1)!] = value;
  return validateQueryDocument(document);
}

describe("contracts/query: validation", () => {
  it("accepts a complete document and a minimal one", () => {
    assert.deepEqual(validateQueryDocument(exampleQuery()), []);
    assert.deepEqual(
      validateQueryDocument({
        sql: [{ statement: "SELECT 1 FROM a" }],
        inputs: [{ datasetId: "a", view: "a" }],
        output: { datasetId: "b" },
      }),
      [],
    );
  });

  it("refuses what is not a document", () => {
    assert.deepEqual(validateQueryDocument([]), ["document: must be an object"]);
  });

  const cases: [string, string[], unknown, RegExp][] = [
    ["unknown property", ["owner"], "me", /unknown property 'owner'/],
    ["no sql", ["sql"], undefined, /^sql: must be an array/],
    ["empty sql", ["sql"], [], /^sql: must be an array/],
    ["blank statement", ["sql"], [{ statement: "   " }], /sql\[0\]\.statement: must not be blank/],
    ["segment not an object", ["sql"], ["SELECT 1"], /sql\[0\]: must be an object/],
    [
      "segment names twice",
      ["sql"],
      [
        { name: "a", statement: "x" },
        { name: "a", statement: "y" },
      ],
      /'a' names two segments/,
    ],
    ["no inputs", ["inputs"], [], /^inputs: must be an array/],
    ["bad dataset id", ["inputs"], [{ datasetId: "../x", view: "v" }], /inputs\[0\]\.datasetId/],
    ["bad view", ["inputs"], [{ datasetId: "a", view: "1v" }], /inputs\[0\]\.view/],
    [
      "dataset read twice",
      ["inputs"],
      [
        { datasetId: "a", view: "v" },
        { datasetId: "a", view: "w" },
      ],
      /'a' is read twice/,
    ],
    [
      "view twice (case-insensitive)",
      ["inputs"],
      [
        { datasetId: "a", view: "v" },
        { datasetId: "b", view: "V" },
      ],
      /'V' names two inputs/,
    ],
    ["output missing", ["output"], undefined, /^output: must be an object/],
    ["output is an input", ["output"], { datasetId: "nw-sales" }, /also an input/],
    ["parameter type", ["parameters"], { p: { type: "blob" } }, /parameters\.p\.type/],
    [
      "parameter name",
      ["parameters"],
      { "a-b": { type: "string" } },
      /parameters\.a-b: is not an identifier/,
    ],
    [
      "parameter required",
      ["parameters"],
      { p: { type: "string", required: "yes" } },
      /required: must be a boolean/,
    ],
    ["min rows", ["preconditions"], { minRowsPerView: -1 }, /minRowsPerView: must be an integer/],
    ["precondition extra", ["preconditions"], { maxRows: 1 }, /unknown property 'maxRows'/],
    [
      "min group size",
      ["thresholds"],
      { minGroupSize: 0 },
      /minGroupSize: must be an integer between 1/,
    ],
    ["group by without size", ["thresholds"], { groupBy: ["a"] }, /needs thresholds\.minGroupSize/],
    [
      "group by names",
      ["thresholds"],
      { minGroupSize: 2, groupBy: ["a b"] },
      /groupBy: must be an array/,
    ],
  ];
  for (const [name, path, value, expected] of cases) {
    it(`refuses: ${name}`, () => {
      const problems = problemsWith(path, value);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${JSON.stringify(problems)} does not match ${expected}`,
      );
    });
  }
});

describe("contracts/query: datasets and parameters", () => {
  it("lists every dataset read or written once", () => {
    assert.deepEqual(datasetsOf(exampleQuery()), ["nw-sales", "wg-ads", "wg-out"]);
  });

  it("checks a run's parameters against the declarations", () => {
    const query = exampleQuery();
    assert.deepEqual(validateQueryParameters(query, { since: "2024-01-31" }), []);
    assert.deepEqual(validateQueryParameters(query, { since: "2024-01-31", limit: 5 }), []);
    assert.deepEqual(validateQueryParameters(query, {}), ["parameters.since: is required"]);
    assert.deepEqual(validateQueryParameters(query, undefined), ["parameters.since: is required"]);
    assert.deepEqual(validateQueryParameters(query, { since: "2024-13-01" }), [
      "parameters.since: must be a YYYY-MM-DD date",
    ]);
    assert.deepEqual(validateQueryParameters(query, { since: "2024-01-01", limit: 1.5 }), [
      "parameters.limit: must be an integer",
    ]);
    assert.deepEqual(validateQueryParameters(query, { since: "2024-01-01", other: 1 }), [
      "parameters.other: is not a parameter of this query",
    ]);
    assert.deepEqual(validateQueryParameters(query, "x"), ["parameters: must be an object"]);
    assert.deepEqual(validateQueryParameters({}, {}), []);
  });
});
