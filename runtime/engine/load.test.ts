import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { QueryEngine } from "./engine.js";
import {
  PEOPLE_CSV,
  csvFile,
  engineError,
  fileOnDisk,
  lockedEngine,
  outputOf,
  people,
  scratch,
  sql,
  text,
  writeWithDuckDB,
} from "./fixtures.test.js";
import type { EngineInput } from "./types.js";

describe("engine: loading inputs", () => {
  it("loads a CSV input with only its allowed fields, typed per schema", async () => {
    const engine = await QueryEngine.create();
    try {
      const seen: number[] = [];
      assert.equal(await engine.load(people(), (rows) => seen.push(rows)), 5);
      assert.deepEqual(seen, [5]);
      await engine.lockDown();
      const result = await engine.run(
        sql(
          "SELECT column_name AS name, data_type AS type FROM information_schema.columns " +
            "WHERE table_name = 'people' ORDER BY ordinal_position",
        ),
        {},
        outputOf([
          { name: "name", type: "string" },
          { name: "type", type: "string" },
        ]),
      );
      assert.equal(
        await text(result.csv()),
        "name,type\r\nid,INTEGER\r\ncity,VARCHAR\r\nage,INTEGER\r\n",
      );
      assert.equal(result.report.rowCounts.people, 5);
    } finally {
      await engine.close();
    }
  });

  it("makes a disallowed field unreachable: a query naming it fails", async () => {
    const engine = await lockedEngine(people());
    try {
      const error = await engineError(
        engine.run(
          sql("SELECT email FROM people"),
          {},
          outputOf([{ name: "email", type: "string" }]),
        ),
      );
      assert.equal(error.code, "QueryFailed");
      assert.match(error.message, /Binder Error/);
      assert.doesNotMatch(error.message, /alice/);
    } finally {
      await engine.close();
    }
  });

  it("maps every schema type to its DuckDB type", async () => {
    const input: EngineInput = {
      datasetId: "typed",
      view: "typed",
      format: "csv",
      schema: [
        { name: "s", type: "string" },
        { name: "i", type: "integer" },
        { name: "l", type: "long" },
        { name: "f", type: "float" },
        { name: "d", type: "double" },
        { name: "m", type: "decimal" },
        { name: "b", type: "boolean" },
        { name: "dt", type: "date" },
        { name: "ts", type: "timestamp" },
        { name: "bin", type: "binary" },
      ],
      allowedFields: ["s", "i", "l", "f", "d", "m", "b", "dt", "ts", "bin"],
      files: [
        csvFile(
          's,i,l,f,d,m,b,dt,ts,bin\r\n"a, ""quoted""",7,9000000000,1.5,2.25,12.345,true,2026-01-31,2026-01-31 10:20:30,abc\r\n',
        ),
      ],
    };
    const engine = await lockedEngine(input);
    try {
      const result = await engine.run(
        sql(
          "SELECT string_agg(data_type, ' ' ORDER BY ordinal_position) AS types FROM information_schema.columns WHERE table_name = 'typed'",
          "SELECT types, s, l + i AS total, dt + 1 AS next, m, b, ts, f + d AS fd FROM segment_0, typed",
        ),
        {},
        outputOf([
          { name: "types", type: "string" },
          { name: "s", type: "string" },
          { name: "total", type: "long" },
          { name: "next", type: "date" },
          { name: "m", type: "decimal" },
          { name: "b", type: "boolean" },
          { name: "ts", type: "timestamp" },
          { name: "fd", type: "double" },
        ]),
      );
      assert.equal(
        await text(result.csv()),
        "types,s,total,next,m,b,ts,fd\r\n" +
          '"VARCHAR INTEGER BIGINT FLOAT DOUBLE DECIMAL(38,9) BOOLEAN DATE TIMESTAMP BLOB",' +
          '"a, ""quoted""",9000000007,2026-02-01,12.345000000,true,2026-01-31 10:20:30,3.75\r\n',
      );
    } finally {
      await engine.close();
    }
  });

  it("matches CSV columns by name in any order and case, ignoring unknown ones", async () => {
    const file = csvFile('AGE,note,City,id,email\n34,"x, y",Paris,1,a@x.com\n');
    const engine = await lockedEngine(people([file]));
    try {
      const result = await engine.run(
        sql("SELECT id, city, age FROM people"),
        {},
        outputOf([
          { name: "id", type: "integer" },
          { name: "city", type: "string" },
          { name: "age", type: "integer" },
        ]),
      );
      assert.equal(await text(result.csv()), "id,city,age\r\n1,Paris,34\r\n");
    } finally {
      await engine.close();
    }
  });

  it("adds Hive partition values as columns, typed per schema", async () => {
    const input: EngineInput = {
      datasetId: "sales",
      view: "sales",
      format: "csv",
      schema: [
        { name: "day", type: "date" },
        { name: "amount", type: "integer" },
      ],
      allowedFields: ["day", "amount"],
      files: [
        csvFile("amount\n10\n20\n", "day=2026-01-01/part-0.csv", { day: "2026-01-01" }),
        csvFile("amount\n5\n", "day=2026-01-02/part-0.csv", { day: "2026-01-02" }),
      ],
    };
    const engine = await lockedEngine(input);
    try {
      const result = await engine.run(
        sql("SELECT day, sum(amount) AS total FROM sales GROUP BY day ORDER BY day"),
        {},
        outputOf([
          { name: "day", type: "date" },
          { name: "total", type: "long" },
        ]),
      );
      assert.equal(await text(result.csv()), "day,total\r\n2026-01-01,30\r\n2026-01-02,5\r\n");
      assert.equal(result.report.rowCounts.sales, 3);
    } finally {
      await engine.close();
    }
  });

  it("loads Parquet files (columns matched by name, cast to the schema) and deletes them from RAM", async () => {
    const dir = await scratch();
    try {
      const path = join(dir.path, "people.parquet");
      await writeWithDuckDB(
        "SELECT i::BIGINT AS age, 'user' || i || '@x.com' AS email, i AS id, " +
          "CASE WHEN i % 2 = 0 THEN 'Paris' ELSE 'Lyon' END AS city FROM range(1000) t(i)",
        path,
        "parquet",
      );
      const input = { ...people([fileOnDisk(path, "part-0.parquet")]), format: "parquet" as const };
      const ram = await mkdtemp("/dev/shm/engine-test-");
      const engine = await QueryEngine.create({ ramDirectory: ram });
      await engine.load(input);
      await engine.load({ ...people(), view: "more" });
      assert.deepEqual(await readdir(ram), []);
      await rm(ram, { recursive: true });
      await engine.lockDown();
      try {
        const result = await engine.run(
          sql(
            "SELECT city, count(*) AS n, max(age) AS oldest FROM people GROUP BY city ORDER BY city",
          ),
          {},
          outputOf([
            { name: "city", type: "string" },
            { name: "n", type: "long" },
            { name: "oldest", type: "integer" },
          ]),
        );
        assert.equal(
          await text(result.csv()),
          "city,n,oldest\r\nLyon,500,999\r\nParis,500,998\r\n",
        );
      } finally {
        await engine.close();
      }
    } finally {
      await dir.remove();
    }
  });

  it("refuses a malformed CSV with InputInvalid, naming the line and column but no value", async () => {
    const engine = await QueryEngine.create();
    try {
      const bad = csvFile("id,email,city,age\n1,a@x.com,Paris,34\n2,b@x.com,Lyon,secret-value\n");
      const error = await engineError(engine.load(people([bad])));
      assert.equal(error.code, "InputInvalid");
      assert.match(error.message, /line 3/);
      assert.match(error.message, /column 'age'/);
      assert.doesNotMatch(error.message, /secret-value|Lyon/);
      await assert.rejects(engine.lockDown(), /engine is failed/);
    } finally {
      await engine.close();
    }
  });

  it("refuses a CSV missing an allowed column, and a file that is not Parquet", async () => {
    const engine = await QueryEngine.create();
    try {
      const error = await engineError(
        engine.load(people([csvFile("id,email,age\n1,a@x.com,3\n")])),
      );
      assert.equal(error.code, "InputInvalid");
      assert.match(error.message, /no column 'city'/);
    } finally {
      await engine.close();
    }
    const other = await QueryEngine.create();
    try {
      const notParquet = {
        ...people([csvFile(PEOPLE_CSV, "x.parquet")]),
        format: "parquet" as const,
      };
      const error = await engineError(other.load(notParquet));
      assert.equal(error.code, "InputInvalid");
      assert.match(error.message, /not a valid Parquet file/);
    } finally {
      await other.close();
    }
  });

  it("fails the load with the source's error when the plaintext stream breaks midway", async () => {
    const engine = await QueryEngine.create();
    try {
      const broken = {
        name: "part-0.csv",
        partition: {},
        open: async () => {
          const { Readable } = await import("node:stream");
          return Readable.from(
            (async function* () {
              yield Buffer.from("id,email,city,age\n1,a@x.com,Paris,34\n");
              throw new Error("chunk 2 does not authenticate");
            })(),
          );
        },
      };
      await assert.rejects(engine.load(people([broken])), /chunk 2 does not authenticate/);
      await assert.rejects(engine.lockDown(), /engine is failed/);
    } finally {
      await engine.close();
    }
  });

  it("loads CSV in more engines at once than Node has pool workers", async () => {
    // DuckDB queries wait for their pipes on libuv workers (4 by default): the writers must not.
    const engines = await Promise.all(Array.from({ length: 8 }, () => QueryEngine.create()));
    try {
      assert.deepEqual(
        await Promise.all(engines.map((engine) => engine.load(people()))),
        Array(8).fill(5),
      );
    } finally {
      await Promise.all(engines.map((engine) => engine.close()));
    }
  });

  it("removes what an engine killed while loading left in RAM", async () => {
    const ram = await mkdtemp("/dev/shm/engine-test-");
    try {
      const child = spawn(process.execPath, ["-e", ""]);
      await new Promise((resolve) => child.on("exit", resolve));
      const stale = join(ram, `cleanroom-engine-${child.pid}-abc123`);
      await mkdir(stale);
      await writeFile(join(stale, "input-0.parquet"), "plaintext");
      const engine = await QueryEngine.create({ ramDirectory: ram });
      try {
        await engine.load(people());
        assert.deepEqual(await readdir(ram), []);
      } finally {
        await engine.close();
      }
    } finally {
      await rm(ram, { recursive: true, force: true });
    }
  });

  it("fails closed when the scratch place is not RAM-backed", async () => {
    const dir = await scratch();
    const engine = await QueryEngine.create({ ramDirectory: dir.path });
    try {
      const error = await engineError(engine.load(people()));
      assert.equal(error.code, "InputInvalid");
      assert.match(error.message, /not RAM-backed/);
    } finally {
      await engine.close();
      await dir.remove();
    }
  });
});
