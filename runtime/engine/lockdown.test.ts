import assert from "node:assert/strict";
import { readdir, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

import { lockDown, openDuckDB } from "./lockdown.js";
import {
  engineError,
  lockedEngine,
  outputOf,
  people,
  scratch,
  sql,
  text,
} from "./fixtures.test.js";

const ANY = outputOf([{ name: "v", type: "string" }]);

/** The error a locked engine gives for `statement` run as the approved SQL. */
async function refusal(statement: string): Promise<string> {
  const engine = await lockedEngine(people());
  try {
    const error = await engineError(engine.run(sql(statement), {}, ANY));
    assert.equal(error.code, "QueryFailed");
    return error.message;
  } finally {
    await engine.close();
  }
}

describe("engine: lockdown", () => {
  let dir: Awaited<ReturnType<typeof scratch>>;
  let server: Server;
  let requests = 0;
  let url: string;

  before(async () => {
    dir = await scratch();
    await writeFile(join(dir.path, "own.csv"), "v\nsecret-of-the-runtime\n");
    server = createServer((_, response) => {
      requests++;
      response.end("v\nfrom-the-network\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/data.csv`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await dir.remove();
  });

  for (const reader of ["read_csv", "read_text", "read_parquet", "read_blob", "read_json"]) {
    it(`refuses ${reader} of a local file`, async () => {
      for (const path of ["/etc/passwd", join(dir.path, "own.csv")]) {
        const message = await refusal(`SELECT * FROM ${reader}('${path}')`);
        assert.match(message, /Permission Error/);
        assert.doesNotMatch(message, /root|secret-of-the-runtime/);
      }
    });
  }

  it("refuses a URL, and nothing reaches the server", async () => {
    for (const reader of ["read_csv", "read_text"]) {
      assert.match(await refusal(`SELECT * FROM ${reader}('${url}')`), /Permission Error/);
    }
    assert.equal(requests, 0);
  });

  it("refuses glob over the file system", async () => {
    assert.match(await refusal("SELECT file AS v FROM glob('/etc/*')"), /Permission Error/);
  });

  it("refuses statements other than a query: INSTALL, LOAD, ATTACH, COPY, EXPORT, SET", async () => {
    // Each segment runs as CREATE TEMP TABLE … AS <statement>: anything but a query does not parse.
    for (const statement of [
      "INSTALL spatial",
      "LOAD spatial",
      `ATTACH '${join(dir.path, "x.db")}' AS x`,
      `COPY people TO '${join(dir.path, "out.csv")}'`,
      `EXPORT DATABASE '${join(dir.path, "export")}'`,
      "SET enable_external_access = true",
      "SELECT 1 AS v; SET enable_external_access = true",
    ]) {
      assert.match(
        await refusal(statement),
        /Parser Error|Cannot prepare multiple statements/,
        statement,
      );
    }
    assert.deepEqual(await readdir(dir.path), ["own.csv"]);
  });

  describe("the locked database itself, given statements directly", () => {
    let database: Awaited<ReturnType<typeof openDuckDB>>;

    before(async () => {
      database = await openDuckDB({});
      await database.connection.run("CREATE TABLE people AS SELECT 1 AS id");
      await lockDown(database.connection);
    });

    after(() => {
      database.connection.closeSync();
      database.instance.closeSync();
    });

    const refused = (statement: string, pattern: RegExp) =>
      assert.rejects(database.connection.run(statement), pattern, statement);

    it("refuses INSTALL and LOAD of an extension", async () => {
      await refused("INSTALL spatial", /Permission Error/);
      await refused("LOAD spatial", /Permission Error/);
    });

    it("refuses ATTACH of a database file, COPY … TO and EXPORT DATABASE", async () => {
      await refused(`ATTACH '${join(dir.path, "x.db")}' AS x`, /Permission Error/);
      await refused(`COPY people TO '${join(dir.path, "out.csv")}'`, /Permission Error/);
      await refused(`EXPORT DATABASE '${join(dir.path, "export")}'`, /Permission Error/);
      await refused(`SELECT * FROM read_csv('${url}')`, /Permission Error/);
      assert.deepEqual(await readdir(dir.path), ["own.csv"]);
    });

    it("refuses to change settings back (external access, spilling, extensions)", async () => {
      for (const statement of [
        "SET enable_external_access = true",
        "RESET enable_external_access",
        `SET temp_directory = '${dir.path}'`,
        "SET autoload_known_extensions = true",
        "SET allow_unsigned_extensions = true",
        "SET lock_configuration = false",
      ]) {
        await refused(statement, /configuration has been locked|Cannot change/);
      }
    });
  });

  it("has no getenv, and its settings carry nothing of the environment", async () => {
    assert.match(await refusal("SELECT getenv('HOME') AS v"), /Catalog Error/);
    process.env.CLEANROOM_ENGINE_TEST_SECRET = "env-secret-4711";
    try {
      const engine = await lockedEngine(people());
      try {
        const result = await engine.run(
          sql("SELECT string_agg(coalesce(value, ''), ' ') AS v FROM duckdb_settings()"),
          {},
          ANY,
        );
        const settings = await text(result.csv());
        assert.match(settings, /false/);
        assert.doesNotMatch(settings, /env-secret-4711/);
      } finally {
        await engine.close();
      }
    } finally {
      delete process.env.CLEANROOM_ENGINE_TEST_SECRET;
    }
  });

  it("shows the SQL its own views only, and spills nowhere", async () => {
    const engine = await lockedEngine(people());
    try {
      const result = await engine.run(
        sql(
          "SELECT string_agg(table_name, ',') || ' ' || current_setting('temp_directory') || '.' AS v " +
            "FROM duckdb_tables() WHERE NOT temporary",
        ),
        {},
        ANY,
      );
      assert.equal(await text(result.csv()), "v\r\npeople .\r\n");
    } finally {
      await engine.close();
    }
  });

  it("keeps two engines apart: one's SQL cannot name the other's view", async () => {
    const other = { ...people(), datasetId: "others", view: "others" };
    const first = await lockedEngine(people());
    const second = await lockedEngine(other);
    try {
      const error = await engineError(first.run(sql("SELECT city AS v FROM others"), {}, ANY));
      assert.match(error.message, /Catalog Error/);
      const result = await second.run(
        sql("SELECT city AS v FROM others ORDER BY id LIMIT 1"),
        {},
        ANY,
      );
      assert.equal(await text(result.csv()), "v\r\nParis\r\n");
    } finally {
      await first.close();
      await second.close();
    }
  });
});
