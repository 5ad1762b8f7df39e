import assert from "node:assert/strict";
import { createOutput, formatBytes, renderProgress, type Stream } from "./output.js";

class Fake implements Stream {
  text = "";
  constructor(
    readonly isTTY: boolean,
    readonly columns = 80,
  ) {}
  write(text: string): void {
    this.text += text;
  }
}

const rows = [
  { name: "alice", kind: "member" },
  { name: "bob", kind: "user" },
];
const columns = [
  { header: "name", value: (r: (typeof rows)[number]) => r.name },
  { header: "kind", value: (r: (typeof rows)[number]) => r.kind },
];

describe("cli output", function () {
  it("--json: one JSON document on stdout and nothing else", function () {
    const stdout = new Fake(false);
    const stderr = new Fake(true);
    const out = createOutput({ json: true, stdout, stderr, env: {} });
    out.info("people only");
    out.note("people only");
    out.progress({ label: "x", total: 10, unit: "steps" }).update(5);
    out.result({ a: 1 }, "text");
    assert.deepEqual(JSON.parse(stdout.text), { a: 1 });
    assert.equal(stderr.text, "");
  });

  it("tables: aligned with a header on a terminal, tab-separated in a pipe, JSON under --json", function () {
    const tty = new Fake(true);
    createOutput({ json: false, stdout: tty, env: { NO_COLOR: "1" } }).table(rows, columns);
    assert.equal(tty.text, "NAME   KIND\nalice  member\nbob    user\n");
    const pipe = new Fake(false);
    createOutput({ json: false, stdout: pipe, env: {} }).table(rows, columns);
    assert.equal(pipe.text, "alice\tmember\nbob\tuser\n");
    const json = new Fake(false);
    createOutput({ json: true, stdout: json, env: {} }).table(rows, columns);
    assert.deepEqual(JSON.parse(json.text), rows);
  });

  it("colour only on a terminal, never with NO_COLOR", function () {
    const on = createOutput({ json: false, stdout: new Fake(true), env: {} });
    assert.equal(on.style.bold("x"), "\u001b[1mx\u001b[0m");
    const noColor = createOutput({ json: false, stdout: new Fake(true), env: { NO_COLOR: "1" } });
    assert.equal(noColor.style.bold("x"), "x");
    const pipe = createOutput({ json: false, stdout: new Fake(false), env: {} });
    assert.equal(pipe.style.red("x"), "x");
  });

  it("progress: drawn on a terminal's stderr, silent when stderr is not one", function () {
    const stderr = new Fake(true, 60);
    const out = createOutput({ json: false, stdout: new Fake(false), stderr, env: {} });
    const bar = out.progress({ label: "upload", total: 2_000_000, unit: "bytes" });
    bar.update(500_000);
    bar.update(500_000); // unchanged: not redrawn
    bar.advance(1_500_000);
    bar.done();
    const frames = stderr.text.split("\r").filter(Boolean);
    assert.equal(frames.length, 3);
    assert.match(frames[0]!, /upload \[#+\.+\]\s+25%\s+500\.0 kB\/2\.0 MB$/);
    assert.match(frames[1]!, /100%\s+2\.0 MB\/2\.0 MB$/);
    const quiet = new Fake(false);
    const silent = createOutput({ json: false, stdout: new Fake(false), stderr: quiet, env: {} });
    silent.progress({ label: "upload", total: 10, unit: "bytes" }).update(5);
    assert.equal(quiet.text, "");
  });

  it("renders progress without a total, and sizes in SI units", function () {
    assert.equal(renderProgress({ label: "steps", unit: "steps" }, 7), "steps 7");
    assert.equal(formatBytes(999), "999 B");
    assert.equal(formatBytes(1_234_567), "1.2 MB");
    const line = renderProgress({ label: "x", total: 4, unit: "steps" }, 1, 50);
    assert.ok(line.length <= 50, line);
    assert.match(line, /25% {2}1\/4$/);
  });
});
