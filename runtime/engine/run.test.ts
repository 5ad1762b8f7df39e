import assert from "node:assert/strict";

import { engineError, lockedEngine, outputOf, people, sql, text } from "./fixtures.test.js";
import type { EngineOutput, QuerySpec } from "./types.js";

const CITY_COUNTS = outputOf([
  { name: "city", type: "string" },
  { name: "n", type: "long" },
]);

/** Runs `query` over the people input in a fresh engine; returns the CSV and the report. */
async function runPeople(
  query: QuerySpec,
  parameters: Record<string, unknown> = {},
  output: EngineOutput = CITY_COUNTS,
) {
  const engine = await lockedEngine(people());
  try {
    const result = await engine.run(query, parameters, output);
    return { csv: await text(result.csv()), result };
  } finally {
    await engine.close();
  }
}

describe("engine: running a query", () => {
  it("runs segments in order, each readable by its name or segment_<i>", async () => {
    const { csv, result } = await runPeople({
      sql: [
        { name: "adults", statement: "SELECT * FROM people WHERE age >= 30" },
        { statement: "SELECT city FROM adults" },
        { statement: "SELECT city, count(*) AS n FROM segment_1 GROUP BY city ORDER BY n DESC" },
      ],
    });
    assert.equal(csv, "city,n\r\nParis,3\r\nNice,1\r\n");
    assert.equal(result.rows, 2);
    assert.deepEqual(result.columns, ["city", "n"]);
    assert.deepEqual(result.report.rowCounts, { people: 5, output: 2 });
    for (const phase of ["load", "query", "thresholds", "write"]) {
      assert.equal(typeof result.report.durationsMs[phase], "number", phase);
    }
  });

  it("binds declared parameters by name, typed (a date is a DATE)", async () => {
    const query: QuerySpec = {
      sql: [
        {
          statement:
            "SELECT city, count(*) AS n FROM people WHERE age >= $minAge AND city <> $skip " +
            "AND $day = DATE '2026-01-31' AND ($flag IS NULL) GROUP BY city ORDER BY city",
        },
      ],
      parameters: {
        minAge: { type: "integer", required: true },
        skip: { type: "string" },
        day: { type: "date" },
        flag: { type: "boolean" },
      },
    };
    const { csv } = await runPeople(query, { minAge: 35, skip: "Nice", day: "2026-01-31" });
    assert.equal(csv, "city,n\r\nParis,2\r\n");
  });

  it("refuses parameters that are missing, undeclared or mistyped, and SQL naming undeclared ones", async () => {
    const query: QuerySpec = {
      sql: [
        { statement: "SELECT city, count(*) AS n FROM people WHERE age > $minAge GROUP BY city" },
      ],
      parameters: { minAge: { type: "integer", required: true } },
    };
    for (const values of [{}, { minAge: "30" }, { minAge: 3, other: 1 }]) {
      const engine = await lockedEngine(people());
      try {
        const error = await engineError(engine.run(query, values, CITY_COUNTS));
        assert.equal(error.code, "ParameterInvalid");
      } finally {
        await engine.close();
      }
    }
    const engine = await lockedEngine(people());
    try {
      const error = await engineError(
        engine.run(sql("SELECT city, $secret AS n FROM people"), {}, CITY_COUNTS),
      );
      assert.equal(error.code, "ParameterInvalid");
      assert.match(error.message, /\$secret/);
    } finally {
      await engine.close();
    }
  });

  it("checks minRowsPerView before any SQL runs, naming the view and its count", async () => {
    const engine = await lockedEngine(people());
    try {
      const query: QuerySpec = {
        ...sql("SELECT error('the SQL ran') AS city"),
        preconditions: { minRowsPerView: 6 },
      };
      const error = await engineError(engine.run(query, {}, CITY_COUNTS));
      assert.equal(error.code, "PreconditionFailed");
      assert.equal(error.message, "view 'people' has 5 rows, fewer than the 6 the query requires");
    } finally {
      await engine.close();
    }
    const { result } = await runPeople({
      ...sql("SELECT city, count(*) AS n FROM people GROUP BY city"),
      preconditions: { minRowsPerView: 5 },
    });
    assert.equal(result.rows, 3);
  });

  it("thresholds, one segment: drops output rows whose group has fewer than k rows of the output", async () => {
    const { csv, result } = await runPeople({
      ...sql("SELECT city, age AS n FROM people ORDER BY age DESC"),
      thresholds: { minGroupSize: 2, groupBy: ["CITY"] },
    });
    assert.equal(csv, "city,n\r\nParis,52\r\nParis,41\r\nParis,34\r\n");
    assert.equal(result.report.droppedGroups, 2);
  });

  it("thresholds, several segments: a group's size counts the previous segment's rows", async () => {
    const query: QuerySpec = {
      sql: [
        { name: "contributors", statement: "SELECT city, age FROM people" },
        {
          statement:
            "SELECT city, count(*) AS n FROM contributors WHERE age > 40 GROUP BY city ORDER BY city",
        },
      ],
      thresholds: { minGroupSize: 3, groupBy: ["city"] },
    };
    // Paris has 3 contributing rows (2 of them in the output's count), Nice 1: only Paris stays.
    const { csv, result } = await runPeople(query);
    assert.equal(csv, "city,n\r\nParis,2\r\n");
    assert.equal(result.report.droppedGroups, 0);

    const stricter = await runPeople({
      ...query,
      thresholds: { minGroupSize: 4, groupBy: ["city"] },
    });
    assert.equal(stricter.csv, "city,n\r\n");
    assert.equal(stricter.result.report.droppedGroups, 1);
  });

  it("thresholds without groupBy: the whole output is one group", async () => {
    const query = sql("SELECT city, count(*) AS n FROM people GROUP BY city ORDER BY city");
    const kept = await runPeople({ ...query, thresholds: { minGroupSize: 3 } });
    assert.equal(kept.csv, "city,n\r\nLyon,1\r\nNice,1\r\nParis,3\r\n");
    assert.equal(kept.result.report.droppedGroups, 0);
    const dropped = await runPeople({ ...query, thresholds: { minGroupSize: 4 } });
    assert.equal(dropped.csv, "city,n\r\n");
    assert.equal(dropped.result.rows, 0);
    assert.equal(dropped.result.report.droppedGroups, 1);
  });

  it("thresholds: a groupBy column missing from the output fails the query", async () => {
    const engine = await lockedEngine(people());
    try {
      const query = {
        ...sql("SELECT city, age AS n FROM people"),
        thresholds: { minGroupSize: 2, groupBy: ["zone"] },
      };
      const error = await engineError(engine.run(query, {}, CITY_COUNTS));
      assert.equal(error.code, "QueryFailed");
      assert.match(error.message, /'zone' is not a column of the output/);
    } finally {
      await engine.close();
    }
  });

  it("projects the output to its dataset's allowed fields, in schema order, cast to its types", async () => {
    const output = outputOf(
      [
        { name: "n", type: "string" },
        { name: "secret", type: "string" },
        { name: "city", type: "string" },
      ],
      ["city", "n"],
    );
    const { csv, result } = await runPeople(
      sql(
        "SELECT 'x' AS Secret, city AS CITY, count(*) AS n, 1 AS extra FROM people GROUP BY city ORDER BY city",
      ),
      {},
      output,
    );
    assert.deepEqual(result.columns, ["n", "city"]);
    assert.equal(csv, "n,city\r\n1,Lyon\r\n1,Nice\r\n3,Paris\r\n");
  });

  it("refuses an output with none of the allowed fields", async () => {
    const engine = await lockedEngine(people());
    try {
      const error = await engineError(
        engine.run(sql("SELECT 1 AS other FROM people"), {}, CITY_COUNTS),
      );
      assert.equal(error.code, "OutputInvalid");
    } finally {
      await engine.close();
    }
  });

  it('writes NULL as an empty field and an empty string as ""', async () => {
    const { csv } = await runPeople(
      sql("SELECT NULL AS city, '' AS n UNION ALL SELECT 'a\nb', 'q\"'"),
      {},
      outputOf([
        { name: "city", type: "string" },
        { name: "n", type: "string" },
      ]),
    );
    assert.equal(csv, 'city,n\r\n,""\r\n"a\nb","q"""\r\n');
  });
});

describe("engine: errors carry no data values", () => {
  async function failure(statement: string): Promise<string> {
    const engine = await lockedEngine(people());
    try {
      const error = await engineError(engine.run(sql(statement), {}, CITY_COUNTS));
      assert.equal(error.code, "QueryFailed");
      return error.message;
    } finally {
      await engine.close();
    }
  }

  it("redacts the value a conversion error quotes", async () => {
    const message = await failure(
      "SELECT city, CAST(city || '-secret' AS INTEGER) AS n FROM people",
    );
    assert.match(message, /Conversion Error/);
    assert.doesNotMatch(message, /Paris|Lyon|Nice|secret/);
  });

  it("withholds text the SQL raises with error()", async () => {
    const message = await failure("SELECT city, error(city) AS n FROM people");
    assert.doesNotMatch(message, /Paris|Lyon|Nice/);
  });

  it("redacts numbers an overflow error quotes, keeping column names", async () => {
    const message = await failure("SELECT city, CAST(age * 100000000 AS INTEGER) AS n FROM people");
    assert.doesNotMatch(message, /3400000000|34|41|52/);
    const binder = await failure("SELECT nope FROM people");
    assert.match(binder, /"nope"/);
  });
});
