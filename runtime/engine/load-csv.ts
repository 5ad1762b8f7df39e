// CSV inputs stream into DuckDB through a FIFO: Node writes the decrypted plaintext into a named
// pipe in a private RAM directory while DuckDB's own CSV reader consumes it, so the plaintext only
// ever exists in the pipe's kernel buffer and in DuckDB's memory.
import { constants, openSync } from "node:fs";
import { Socket } from "node:net";
import { pipeline } from "node:stream/promises";
import { setTimeout as delay } from "node:timers/promises";

import type { DuckDBConnection } from "@duckdb/node-api";

import { readCsvHeader, type CsvHeader } from "./csv-header.js";
import { EngineError, messageOf } from "./errors.js";
import type { RamDirectory } from "./ram-directory.js";
import { planFile, type FilePlan } from "./projection.js";
import { duckdbType, findColumn, ident, literal } from "./sql.js";
import type { DatasetField } from "../../contracts/src/dataset.js";
import type { InputFile } from "./types.js";

/**
 * Opens `fifo` for writing once DuckDB has opened it for reading, without blocking a thread: a
 * non-blocking open fails (ENXIO) until a reader is there, so it is retried until then, or until
 * `gaveUp()` (DuckDB failed before opening it). The writer is driven by the event loop like a
 * socket: writing never needs a libuv worker (DuckDB's query holds one while it waits for data),
 * and `destroy()` ends it whatever DuckDB did.
 */
async function fifoWriter(fifo: string, gaveUp: () => boolean): Promise<Socket> {
  for (;;) {
    try {
      // Synchronous on purpose: a non-blocking open returns at once, and the libuv pool may be
      // full of DuckDB queries waiting for their pipes' data.
      const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      return new Socket({ fd, readable: false, writable: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENXIO" || gaveUp()) throw error;
      await delay(1);
    }
  }
}

/** Lines and field names from a CSV error, without the values DuckDB quotes with them. */
function csvProblem(message: string, fields: DatasetField[]): string {
  const line = /CSV Error on Line: (\d+)/.exec(message)?.[1];
  const column = /column "([^"]+)"/.exec(message)?.[1];
  const known =
    column !== undefined
      ? findColumn(
          fields.map((f) => f.name),
          column,
        )
      : undefined;
  const where = [line && `line ${line}`, known && `column '${known}'`].filter(Boolean).join(", ");
  return where === "" ? "" : ` (${where})`;
}

export async function loadCsvFile(
  connection: DuckDBConnection,
  directory: RamDirectory,
  view: string,
  fields: DatasetField[],
  file: InputFile,
  index: number,
): Promise<number> {
  const source = await file.open();
  let header: CsvHeader;
  try {
    header = await readCsvHeader(source);
  } catch (error) {
    source.destroy();
    throw new EngineError(
      "InputInvalid",
      `view '${view}', file '${file.name}': ${messageOf(error)}`,
    );
  }
  let plan: FilePlan;
  try {
    plan = planFile(view, fields, file, header.names, (column) => ident(column));
  } catch (error) {
    source.destroy();
    throw error;
  }
  // Every header column is declared (the reader needs them all); only the allowed ones are typed
  // and selected, the others stay unparsed text that never reaches the table.
  const declared = header.names.map((name) => {
    const field = plan.fromFile.find((f) => f.name.toLowerCase() === name.toLowerCase());
    const type = field ? duckdbType(field.type) : "VARCHAR";
    return `${literal(name)}: ${literal(type)}`;
  });
  const fifo = await directory.fifo(`input-${index}.csv`);
  const sql =
    `INSERT INTO ${ident(view)} SELECT ${plan.selectList} FROM read_csv(${literal(fifo)}, ` +
    `header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
    `allow_quoted_nulls = false, compression = 'none', columns = {${declared.join(", ")}})`;

  let readerDone = false;
  let writer: Socket | undefined;
  const reading = connection.run(sql, plan.values).finally(() => (readerDone = true));
  const writing = (async () => {
    writer = await fifoWriter(fifo, () => readerDone);
    await pipeline(header.stream, writer);
  })();
  writing.catch(() => undefined); // awaited below, after DuckDB has read the pipe
  let rows: number;
  try {
    rows = (await reading).rowsChanged;
  } catch (error) {
    writer?.destroy();
    source.destroy();
    await writing.catch(() => undefined);
    throw new EngineError(
      "InputInvalid",
      `view '${view}', file '${file.name}' does not match its schema${csvProblem(messageOf(error), fields)}`,
    );
  }
  // A source that failed midway (e.g. a chunk that does not authenticate) ends the pipe early:
  // what DuckDB read is then incomplete, and the source's own error is what the caller sees.
  await writing;
  return rows;
}
