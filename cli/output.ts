/**
 * Output for people and for machines.
 * - `--json`: the command's result as one JSON document on stdout, and nothing else there.
 * - A terminal: aligned tables, colour (never with NO_COLOR), progress bars on stderr.
 * - A pipe or file: plain lines, tables as tab-separated rows without a header, no colour.
 */

/** Where output goes: process.stdout and process.stderr, or fakes in tests. */
export interface Stream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface OutputOptions {
  json: boolean;
  stdout?: Stream;
  stderr?: Stream;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
}

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
}

export interface Progress {
  /** Sets how much is done (bytes or steps). */
  update(done: number): void;
  /** Adds to what is done. */
  advance(by?: number): void;
  /** Ends the bar (clears its line). */
  done(): void;
}

export interface ProgressOptions {
  label: string;
  /** The whole amount, if known. */
  total?: number;
  unit: "bytes" | "steps";
}

export interface Output {
  readonly json: boolean;
  /** stdout is a terminal. */
  readonly tty: boolean;
  readonly style: Style;
  /** A line for people on stdout; suppressed under --json. */
  info(line: string): void;
  /** A note for people on stderr (warnings, what happens next); suppressed under --json. */
  note(line: string): void;
  /** A result: `value` as JSON under --json, otherwise `text`. */
  result(value: unknown, text: string): void;
  /** Rows: JSON array under --json, a table on a terminal, tab-separated lines otherwise. */
  table<Row>(rows: readonly Row[], columns: readonly Column<Row>[], json?: unknown): void;
  /** A progress bar on stderr when it is a terminal (and not --json); silent otherwise. */
  progress(options: ProgressOptions): Progress;
}

const ESC = "\u001b[";
const paint = (on: boolean, code: string) => (text: string) =>
  on ? `${ESC}${code}m${text}${ESC}0m` : text;

export function styleFor(color: boolean): Style {
  return {
    bold: paint(color, "1"),
    dim: paint(color, "2"),
    green: paint(color, "32"),
    yellow: paint(color, "33"),
    red: paint(color, "31"),
  };
}

/** Colour only on a terminal and never when NO_COLOR is set (https://no-color.org). */
export function colorEnabled(
  stream: Stream,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return stream.isTTY === true && !env["NO_COLOR"] && env["TERM"] !== "dumb";
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const width = (text: string) => [...text.replace(ANSI, "")].length;

export function formatTable<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  style: Style,
): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) =>
    Math.max(width(c.header), ...cells.map((r) => width(r[i]!))),
  );
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v + " ".repeat(widths[i]! - width(v))))
      .join("  ")
      .trimEnd();
  return [style.bold(line(columns.map((c) => c.header.toUpperCase()))), ...cells.map(line)].join(
    "\n",
  );
}

const UNITS = ["B", "kB", "MB", "GB", "TB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** One frame of a progress bar, e.g. `encrypt [#######.....]  58%  1.2 GB/2.1 GB`. */
export function renderProgress(options: ProgressOptions, done: number, columns = 80): string {
  const amount = (n: number) => (options.unit === "bytes" ? formatBytes(n) : String(n));
  if (options.total === undefined || options.total <= 0) {
    return `${options.label} ${amount(done)}`;
  }
  const fraction = Math.min(1, Math.max(0, done / options.total));
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const tail = `${percent}  ${amount(done)}/${amount(options.total)}`;
  const barWidth = Math.max(10, Math.min(40, columns - options.label.length - tail.length - 6));
  const filled = Math.round(fraction * barWidth);
  return `${options.label} [${"#".repeat(filled)}${".".repeat(barWidth - filled)}] ${tail}`;
}

const SILENT: Progress = { update() {}, advance() {}, done() {} };

function createProgress(stream: Stream, options: ProgressOptions): Progress {
  let done = 0;
  let shown = "";
  const draw = () => {
    const frame = renderProgress(options, done, stream.columns ?? 80);
    // Redraw only when the text changes: a bar updated per chunk must not flood the terminal.
    if (frame === shown) return;
    shown = frame;
    stream.write(`\r${ESC}2K${frame}`);
  };
  return {
    update(value) {
      done = value;
      draw();
    },
    advance(by = 1) {
      done += by;
      draw();
    },
    done() {
      if (shown) stream.write(`\r${ESC}2K`);
      shown = "";
    },
  };
}

export function createOutput(
  options: OutputOptions | boolean,
  write?: (text: string) => void,
): Output {
  const opts: OutputOptions = typeof options === "boolean" ? { json: options } : options;
  const stdout: Stream =
    opts.stdout ?? (write ? { write, isTTY: false } : (process.stdout as Stream));
  const stderr: Stream = opts.stderr ?? (process.stderr as Stream);
  const env = opts.env ?? process.env;
  const json = opts.json;
  const tty = stdout.isTTY === true;
  const style = styleFor(!json && colorEnabled(stdout, env));
  return {
    json,
    tty,
    style,
    info(line) {
      if (!json) stdout.write(`${line}\n`);
    },
    note(line) {
      if (!json) stderr.write(`${line}\n`);
    },
    result(value, text) {
      stdout.write(json ? `${JSON.stringify(value, null, tty ? 2 : undefined)}\n` : `${text}\n`);
    },
    table(rows, columns, value = rows) {
      if (json) {
        stdout.write(`${JSON.stringify(value, null, tty ? 2 : undefined)}\n`);
      } else if (tty) {
        stdout.write(`${formatTable(rows, columns, style)}\n`);
      } else {
        for (const row of rows) stdout.write(`${columns.map((c) => c.value(row)).join("\t")}\n`);
      }
    },
    progress(progressOptions) {
      if (json || stderr.isTTY !== true) return SILENT;
      return createProgress(stderr, progressOptions);
    },
  };
}
