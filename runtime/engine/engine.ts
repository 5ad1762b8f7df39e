// The query engine of one run: an in-memory DuckDB that loads the run's inputs projected to their
// allowed fields, locks itself down, runs the approved SQL and shapes the output. One engine per
// run: nothing of another run or dataset is ever in it.
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

import { IDENTIFIER_PATTERN } from "../../contracts/src/dataset.js";
import { EngineError, messageOf, redact } from "./errors.js";
import { loadCsvFile } from "./load-csv.js";
import { loadParquetFile } from "./load-parquet.js";
import { lockDown, openDuckDB } from "./lockdown.js";
import { outputCsv, projectOutput } from "./output.js";
import { bindParameters, checkParameters } from "./parameters.js";
import { allowedColumns, createTableSql } from "./projection.js";
import { DEFAULT_RAM_DIRECTORY, RamDirectory } from "./ram-directory.js";
import { ident } from "./sql.js";
import { applyThresholds } from "./thresholds.js";
import type {
  EngineInput,
  EngineLimits,
  EngineOutput,
  EngineReport,
  EngineResult,
  QuerySpec,
} from "./types.js";

export { EngineError } from "./errors.js";

type State = "loading" | "locked" | "ran" | "failed" | "closed";

const elapsed = (start: number) => Math.round((performance.now() - start) * 100) / 100;

export class QueryEngine {
  private state: State = "loading";
  private readonly rowCounts: Record<string, number> = {};
  /** Views loaded or being loaded (lower case: DuckDB resolves names ignoring case). */
  private readonly views = new Set<string>();
  /** From the first load's start to the last one's end, whether loads ran in turn or together. */
  private loadStart: number | undefined;
  private loadMs = 0;
  /** Names error messages may keep (views, fields, segments, SQL words); other quoted text goes. */
  private readonly names = new Set<string>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly ramParent: string,
  ) {}

  static async create(limits: EngineLimits = {}): Promise<QueryEngine> {
    const { instance, connection } = await openDuckDB(limits);
    return new QueryEngine(instance, connection, limits.ramDirectory ?? DEFAULT_RAM_DIRECTORY);
  }

  /**
   * Loads one input into TABLE `input.view`; returns its row count. Each load has its own
   * connection, so loads may run side by side (see loadAll).
   */
  async load(input: EngineInput, onRows?: (rows: number) => void): Promise<number> {
    this.expect("loading", "load() comes before lockDown()");
    const view = input.view.toLowerCase();
    if (!IDENTIFIER_PATTERN.test(input.view) || this.views.has(view)) {
      throw new EngineError("InputInvalid", `'${input.view}' is not a new view name`);
    }
    this.views.add(view);
    const start = performance.now();
    this.loadStart ??= start;
    let directory: RamDirectory | undefined;
    const connection = await this.instance.connect();
    try {
      const fields = allowedColumns(input);
      this.remember([input.view, ...input.schema.map((f) => f.name)]);
      directory = await RamDirectory.create(this.ramParent);
      await connection.run(createTableSql(input.view, fields));
      let rows = 0;
      for (const [index, file] of input.files.entries()) {
        rows +=
          input.format === "csv"
            ? await loadCsvFile(connection, directory, input.view, fields, file, index)
            : await loadParquetFile(connection, directory, input.view, fields, file, index);
        onRows?.(rows);
      }
      this.rowCounts[input.view] = rows;
      return rows;
    } catch (error) {
      // A half-loaded view must never be queried: the engine is done.
      this.state = "failed";
      throw error;
    } finally {
      connection.closeSync();
      this.loadMs = elapsed(this.loadStart);
      await directory?.remove();
    }
  }

  /**
   * Loads `inputs` two at a time; returns their row counts in input order. A CSV input streams
   * through a FIFO that one DuckDB thread reads, so a second load keeps another core busy. Two at
   * most: each waiting load holds a libuv worker, and reading local files needs free ones. After a
   * failure no further input starts; the first failure (in input order) is thrown once every
   * started load has ended.
   */
  async loadAll(inputs: EngineInput[]): Promise<number[]> {
    const outcomes: PromiseSettledResult<number>[] = [];
    let next = 0;
    const worker = async () => {
      while (next < inputs.length && this.state === "loading") {
        const i = next++;
        outcomes[i] = await this.load(inputs[i]!).then(
          (value) => ({ status: "fulfilled", value }),
          (reason: unknown) => ({ status: "rejected", reason }),
        );
      }
    };
    await Promise.all([worker(), worker()]);
    const failed = outcomes.find((o) => o?.status === "rejected");
    if (failed) throw failed.reason;
    return outcomes.map((o) => (o as PromiseFulfilledResult<number>).value);
  }

  /** From here on the SQL reaches nothing but the loaded tables: no file, URL or extension. */
  async lockDown(): Promise<void> {
    this.expect("loading", "lockDown() runs once, after load()");
    try {
      await lockDown(this.connection);
    } catch (error) {
      this.state = "failed";
      throw error;
    }
    this.state = "locked";
  }

  async run(
    query: QuerySpec,
    parameters: Record<string, unknown>,
    output: EngineOutput,
  ): Promise<EngineResult> {
    this.expect("locked", "run() comes once, after lockDown()");
    this.state = "ran";
    checkParameters(query.parameters, parameters);
    this.checkPreconditions(query.preconditions?.minRowsPerView);
    this.remember(query.sql.flatMap((segment) => segment.statement.match(/[A-Za-z_]\w*/g) ?? []));
    this.remember(output.schema.map((f) => f.name));

    let start = performance.now();
    const tables: string[] = [];
    for (const [i, segment] of query.sql.entries()) {
      const name = segment.name ?? `segment_${i}`;
      this.remember([name]);
      await this.guard(`segment ${name}`, async () => {
        const prepared = await this.connection.prepare(
          `CREATE TEMP TABLE ${ident(name)} AS ${segment.statement}`,
        );
        bindParameters(prepared, query.parameters ?? {}, parameters, name);
        await prepared.run();
      });
      tables.push(name);
    }
    const queryMs = elapsed(start);

    start = performance.now();
    const last = tables[tables.length - 1]!;
    const source = tables[tables.length - 2] ?? last;
    const shaped = await this.guard("thresholds and output", async () => {
      const kept = await applyThresholds(this.connection, query.thresholds, last, source);
      return { ...(await projectOutput(this.connection, kept.table, output)), kept };
    });
    const report: EngineReport = {
      rowCounts: { ...this.rowCounts, output: shaped.rows },
      durationsMs: { load: this.loadMs, query: queryMs, thresholds: elapsed(start) },
      droppedGroups: shaped.kept.droppedGroups,
    };
    const connection = this.connection;
    return {
      report,
      columns: shaped.columns,
      rows: shaped.rows,
      async *csv() {
        const writeStart = performance.now();
        yield* outputCsv(connection, shaped.columns);
        report.durationsMs.write = elapsed(writeStart);
      },
    };
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private expect(state: State, rule: string): void {
    if (this.state !== state) throw new Error(`QueryEngine: ${rule} (engine is ${this.state})`);
  }

  private checkPreconditions(minRows: number | undefined): void {
    if (minRows === undefined) return;
    for (const [view, rows] of Object.entries(this.rowCounts)) {
      if (rows < minRows) {
        throw new EngineError(
          "PreconditionFailed",
          `view '${view}' has ${rows} rows, fewer than the ${minRows} the query requires`,
        );
      }
    }
  }

  private remember(names: readonly string[]): void {
    for (const name of names) this.names.add(name.toLowerCase());
  }

  /** Runs DuckDB work, turning its errors into QueryFailed without data values. */
  private async guard<T>(context: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof EngineError) throw error;
      throw new EngineError("QueryFailed", `${context}: ${redact(messageOf(error), this.names)}`);
    }
  }
}
