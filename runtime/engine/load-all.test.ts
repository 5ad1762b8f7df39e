import assert from "node:assert/strict";
import { Readable } from "node:stream";

import { QueryEngine } from "./engine.js";
import { csvFile, engineError, outputOf, people, sql, text } from "./fixtures.test.js";
import type { InputFile } from "./types.js";

describe("engine: loading several inputs side by side", () => {
  it("loads inputs at the same time and returns their row counts in input order", async function () {
    this.timeout(10_000);
    // The first input's stream only ends once the second input has been opened: loading them
    // one after the other would never finish.
    let secondOpened!: () => void;
    const opened = new Promise<void>((resolve) => (secondOpened = resolve));
    const waiting: InputFile = {
      name: "part-0.csv",
      partition: {},
      open: async () =>
        Readable.from(
          (async function* () {
            yield Buffer.from("id,email,city,age\n1,a@x.com,Paris,34\n");
            await opened;
            yield Buffer.from("2,b@x.com,Lyon,41\n");
          })(),
        ),
    };
    const second = csvFile("id,email,city,age\n3,c@x.com,Nice,29\n");
    const engine = await QueryEngine.create();
    try {
      const counts = await engine.loadAll([
        { ...people([waiting]), view: "first" },
        {
          ...people([{ ...second, open: () => (secondOpened(), second.open()) }]),
          view: "second",
        },
        { ...people(), view: "third" },
      ]);
      assert.deepEqual(counts, [2, 1, 5]);
      await engine.lockDown();
      const result = await engine.run(
        sql(
          "SELECT (SELECT count(*) FROM first) || '/' || (SELECT count(*) FROM second) || '/' || " +
            "(SELECT count(*) FROM third) AS counts",
        ),
        {},
        outputOf([{ name: "counts", type: "string" }]),
      );
      assert.equal(await text(result.csv()), "counts\r\n2/1/5\r\n");
    } finally {
      await engine.close();
    }
  });

  it("throws the first failing input's error (in input order) once the others have stopped", async () => {
    const engine = await QueryEngine.create();
    const bad = (view: string) => ({
      ...people([csvFile("id,email,city,age\n1,a@x.com,Paris,old\n")]),
      view,
    });
    try {
      const error = await engineError(
        engine.loadAll([{ ...people(), view: "good" }, bad("bad1"), bad("bad2")]),
      );
      assert.equal(error.code, "InputInvalid");
      assert.match(error.message, /view 'bad1'/);
      await assert.rejects(engine.lockDown(), /engine is failed/);
    } finally {
      await engine.close();
    }
  });

  it("refuses the same view twice, even while the first is still loading", async () => {
    const engine = await QueryEngine.create();
    try {
      const error = await engineError(engine.loadAll([people(), { ...people(), view: "PEOPLE" }]));
      assert.equal(error.code, "InputInvalid");
      assert.match(error.message, /'PEOPLE' is not a new view name/);
    } finally {
      await engine.close();
    }
  });
});
