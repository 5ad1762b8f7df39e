/** Output for people (lines on stdout) or machines (`--json`: one JSON document per event). */
export interface Output {
  readonly json: boolean;
  /** A line for people; suppressed under --json. */
  info(line: string): void;
  /** A result: JSON under --json, otherwise `text`. */
  result(value: unknown, text: string): void;
}

export function createOutput(
  json: boolean,
  write: (text: string) => void = (t) => process.stdout.write(t),
): Output {
  return {
    json,
    info: (line) => {
      if (!json) write(`${line}\n`);
    },
    result: (value, text) => write(json ? `${JSON.stringify(value)}\n` : `${text}\n`),
  };
}
