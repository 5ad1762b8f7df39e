import assert from "node:assert/strict";
import { base64Encode } from "./encoding.js";
import { hasLabels, validateDatasetDocument, type DatasetDocument } from "./dataset.js";

const wrapped = base64Encode(new Uint8Array(256).fill(7));

export function exampleDataset(overrides: Partial<DatasetDocument> = {}): DatasetDocument {
  return {
    description: "Northwind's sales",
    schema: [
      { name: "customer_id", type: "string" },
      { name: "amount", type: "double" },
      { name: "day", type: "date" },
    ],
    allowedFields: ["customer_id", "amount"],
    location: {
      kind: "azure-blob",
      accountUrl: "https://nw.blob.core.windows.net",
      container: "sales",
    },
    format: "parquet",
    partitioning: { by: ["day"] },
    encryption: { wrappedDek: wrapped, kekId: "kek-1" },
    labels: { team: "sales", "example.com/tier": "gold" },
    ...overrides,
  };
}

/** The problems of `document` with `path` set to `value` (undefined deletes it). */
function problemsWith(path: string[], value: unknown): string[] {
  const document = JSON.parse(JSON.stringify(exampleDataset())) as Record<string, unknown>;
  let target = document;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  if (value === undefined) delete target[path.at(-1)!];
  else target[path.at(-1)!] = value;
  return validateDatasetDocument(document);
}

describe("contracts/dataset: validation", () => {
  it("accepts a complete document and every location kind", () => {
    assert.deepEqual(validateDatasetDocument(exampleDataset()), []);
    const locations: DatasetDocument["location"][] = [
      { kind: "local", path: "/data/sales" },
      {
        kind: "azure-blob",
        accountUrl: "https://a.blob.core.windows.net",
        container: "c-1",
        prefix: "x/",
      },
      { kind: "s3", bucket: "my.bucket-1", region: "eu-west-1", prefix: "sales/" },
      { kind: "s3", endpoint: "http://localhost:9000", bucket: "minio" },
    ];
    for (const location of locations) {
      assert.deepEqual(validateDatasetDocument(exampleDataset({ location })), [], location.kind);
    }
    const minimal = exampleDataset({ format: "csv" });
    delete minimal.description;
    delete minimal.partitioning;
    delete minimal.labels;
    assert.deepEqual(validateDatasetDocument(minimal), []);
    assert.deepEqual(
      validateDatasetDocument(
        exampleDataset({
          encryption: { wrappedDek: wrapped, kekId: "k", algorithm: "RSA-OAEP-AES-KWP" },
        }),
      ),
      [],
    );
  });

  it("refuses what is not a document", () => {
    for (const value of [null, [], "x", 3]) {
      assert.deepEqual(validateDatasetDocument(value), ["document: must be an object"]);
    }
  });

  const cases: [string, string[], unknown, RegExp][] = [
    ["unknown property", ["colour"], "red", /unknown property 'colour'/],
    ["no schema", ["schema"], undefined, /^schema: must be a non-empty array/],
    ["empty schema", ["schema"], [], /^schema: must be a non-empty array/],
    ["bad field name", ["schema"], [{ name: "a b", type: "string" }], /schema\[0\]\.name/],
    [
      "bad field type",
      ["schema"],
      [{ name: "a", type: "text" }],
      /schema\[0\]\.type: must be one of/,
    ],
    [
      "duplicate field",
      ["schema"],
      [
        { name: "a", type: "string" },
        { name: "a", type: "long" },
      ],
      /'a' is declared twice/,
    ],
    [
      "allowed field outside schema",
      ["allowedFields"],
      ["amount", "secret"],
      /'secret' is not in the schema/,
    ],
    ["allowed field twice", ["allowedFields"], ["amount", "amount"], /listed twice/],
    ["allowed fields not an array", ["allowedFields"], "amount", /allowedFields: must be an array/],
    ["unknown location kind", ["location", "kind"], "ftp", /location\.kind: must be one of/],
    ["local without path", ["location"], { kind: "local" }, /location\.path/],
    ["blob url", ["location", "accountUrl"], "ftp://x", /accountUrl: must be an http\(s\) URL/],
    ["blob container", ["location", "container"], "Bad_Name", /not a valid Azure container/],
    ["s3 bucket", ["location"], { kind: "s3", bucket: "UPPER" }, /not a valid S3 bucket/],
    ["location extra", ["location", "secret"], "sas", /location: unknown property 'secret'/],
    ["format", ["format"], "json", /format: must be csv or parquet/],
    [
      "partition outside schema",
      ["partitioning"],
      { by: ["month"] },
      /'month' is not in the schema/,
    ],
    ["no encryption", ["encryption"], undefined, /encryption: must be an object/],
    ["dek not base64", ["encryption", "wrappedDek"], "not base64!", /must be base64/],
    ["dek too short", ["encryption", "wrappedDek"], base64Encode(new Uint8Array(32)), /too short/],
    ["kek id", ["encryption", "kekId"], "a b", /not a valid key id/],
    ["algorithm", ["encryption", "algorithm"], "RSA1_5", /algorithm: must be one of/],
    ["labels not an object", ["labels"], ["a"], /labels: must be an object/],
    ["label key", ["labels"], { "bad key": "x" }, /not a valid label key/],
    ["label value", ["labels"], { team: 3 }, /labels\.team: must be a string/],
    ["label value with comma", ["labels"], { team: "a,b" }, /without ','/],
  ];
  for (const [name, path, value, expected] of cases) {
    it(`refuses: ${name}`, () => {
      const problems = problemsWith(path, value);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${JSON.stringify(problems)} does not match ${expected}`,
      );
    });
  }

  it("refuses too many labels", () => {
    const labels = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, "v"]));
    assert.match(validateDatasetDocument(exampleDataset({ labels })).join(), /at most 32 labels/);
  });
});

describe("contracts/dataset: label filter", () => {
  it("keeps datasets carrying every label", () => {
    const document = exampleDataset();
    assert.equal(hasLabels(document, {}), true);
    assert.equal(hasLabels(document, { team: "sales" }), true);
    assert.equal(hasLabels(document, { team: "sales", "example.com/tier": "gold" }), true);
    assert.equal(hasLabels(document, { team: "ads" }), false);
    assert.equal(hasLabels(document, { team: "sales", region: "eu" }), false);
    assert.equal(hasLabels({}, { team: "sales" }), false);
  });
});
