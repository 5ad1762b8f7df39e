import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { validateContractDocument } from "../contracts/src/contract.js";
import { validateDatasetDocument } from "../contracts/src/dataset.js";
import { validateQueryDocument } from "../contracts/src/query.js";
import { readDocument, type DocumentSource } from "./documents.js";
import { UserError } from "./errors.js";

const SOURCE: DocumentSource = { what: "contract", code: "InvalidContract", option: "--file" };
/** The templates people start from (contracts/templates, from the build's cli/ folder). */
const TEMPLATES = fileURLToPath(new URL("../../contracts/templates/", import.meta.url));

describe("readDocument (YAML or JSON document files)", function () {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "cleanroom-documents-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const refusal = (path: string): UserError => {
    try {
      readDocument(path, SOURCE);
    } catch (error) {
      assert.ok(error instanceof UserError);
      return error;
    }
    assert.fail("expected a refusal");
  };

  it("reads YAML and JSON to the same value", function () {
    const value = { a: [1, "00", true, null], b: { c: "x" } };
    assert.deepEqual(readDocument(write("d.json", JSON.stringify(value)), SOURCE), value);
    const yaml = "a:\n  - 1\n  - 00\n  - true\n  - null\nb:\n  c: x\n";
    assert.deepEqual(readDocument(write("d.yaml", yaml), SOURCE), value);
    assert.deepEqual(readDocument(write("d.yml", yaml), SOURCE), value);
  });

  it("keeps YAML to plain data: no custom tags, no dates, no yes/no booleans", function () {
    assert.deepEqual(readDocument(write("p.yaml", "d: 2026-01-01\ny: yes\nh: 5f00\n"), SOURCE), {
      d: "2026-01-01",
      y: "yes",
      h: "5f00",
    });
    const tagged = refusal(write("t.yaml", "x: !!js/function 'function () {}'\n"));
    assert.equal(tagged.code, "InvalidContract");
    assert.match(tagged.message, /t\.yaml:1:\d+: not valid YAML/);
  });

  it("names the file, line and column of a syntax error", function () {
    const duplicate = refusal(write("dup.yaml", "a: 1\nb: 2\na: 3\n"));
    assert.match(duplicate.message, /dup\.yaml:3:1: not valid YAML \(duplicated mapping key\)/);
    assert.match(duplicate.hint ?? "", /quote values/);
    const json = refusal(write("bad.json", '{\n  "a": 1\n  "b": 2\n}\n'));
    assert.match(
      json.message,
      /bad\.json:3:3: not valid JSON \(Expected ',' or '}' after property value\)$/,
    );
    const where = refusal(write("where.json", '{"a": }'));
    assert.match(where.message, /where\.json: not valid JSON \(Unexpected token '}'\)$/);
    const missing = refusal(join(dir, "missing.yaml"));
    assert.equal(missing.code, "FileNotFound");
    assert.match(missing.hint ?? "", /--file/);
  });

  it("the contract, query and dataset templates are valid documents", function () {
    const contract = readDocument(join(TEMPLATES, "contract.yaml"), SOURCE);
    assert.doesNotThrow(() => validateContractDocument(contract));
    const query = readDocument(join(TEMPLATES, "query.yaml"), SOURCE);
    assert.deepEqual(validateQueryDocument(query), []);
    assert.equal((query as { sql: unknown[] }).sql.length, 2);
    // The dataset template is planned: `dataset publish` adds the key reference.
    const dataset = readDocument(join(TEMPLATES, "dataset.yaml"), SOURCE) as object;
    const encryption = { wrappedDek: Buffer.alloc(256).toString("base64"), kekId: "planned" };
    assert.deepEqual(validateDatasetDocument({ ...dataset, encryption }), []);
  });
});
