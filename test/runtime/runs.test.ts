/**
 * The clean-room runtime end to end: a real runtime (virtual attestation, this build's
 * measurement) on a real consortium runs approved queries over datasets encrypted with
 * client/format in a local folder, in Azurite and in the S3 server. Runs complete with output
 * that only the sink owner's key decrypts and whose ciphertext digest is the statement's; every
 * refusal surfaces as a Failed run with governance's (or the engine's) reason.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Readable } from "node:stream";
import type { DatasetLocation } from "../../contracts/src/dataset.js";
import { decryptBytes } from "../../client/format/index.js";
import {
  AzureBlobStorage,
  grantAzureAccess,
  openStorage,
  type StorageBackend,
} from "../../client/storage/index.js";
import { readStatus } from "../../runtime/index.js";
import { startAzurite, type AzuriteServer } from "../support/azurite.js";
import { startS3Server, type S3Server } from "../support/s3server.js";
import { CONTRACT, logged, startWorld, type Runtime, type World } from "./world.js";

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** CSV text as rows of cells, header first. */
const rowsOf = (text: string) =>
  text
    .trim()
    .split(/\r?\n/)
    .map((line) => line.split(","));

describe("runtime: attested runs over local, Azure Blob and S3 datasets", function () {
  let world: World;
  let azurite: AzuriteServer;
  let s3: S3Server;
  let runtime: Runtime;
  let report: StorageBackend;
  let daily: StorageBackend;
  const inAnHour = () => new Date(Date.now() + 3600_000);

  async function statementOf(runId: string) {
    const reply = await world.c.call(
      world.owners[0],
      `/app/contracts/${CONTRACT}/runs/${runId}/statement`,
    );
    assert.equal(reply.status, 200, reply.text);
    return JSON.parse(reply.json<{ statement: string }>().statement) as {
      outputDigests: { datasetId: string; object: string; sha256: string }[];
      measurement: string;
    };
  }

  before(async function () {
    this.timeout(120_000);
    [world, azurite, s3] = await Promise.all([startWorld(), startAzurite(), startS3Server()]);
    const [northwind, woodgrove] = world.owners as [
      (typeof world.owners)[0],
      (typeof world.owners)[0],
    ];

    // northwind's sales: a local folder partitioned by date, with a field no query may read.
    const salesLocation: DatasetLocation = { kind: "local", path: join(world.folder, "sales") };
    await world.publish(northwind, "sales", {
      location: salesLocation,
      storage: openStorage(salesLocation),
      schema: [
        { name: "customer_id", type: "string" },
        { name: "amount", type: "double" },
        { name: "date", type: "date" },
        { name: "email", type: "string" },
      ],
      allowedFields: ["customer_id", "amount", "date"],
      partitioning: { by: ["date"] },
      files: {
        "date=2026-01-01/part-0.csv":
          "customer_id,amount,email\nc1,10.5,a@x\nc2,20,b@x\nc3,5,c@x\n",
        "date=2026-01-02/part-0.csv": "customer_id,amount,email\nc1,1,a@x\nc4,100,d@x\n",
      },
    });

    // woodgrove's ads in Azurite, read by the clean room through a SAS grant.
    const adsLocation: DatasetLocation = {
      kind: "azure-blob",
      accountUrl: azurite.accountUrl,
      container: "ads",
    };
    const ads = openStorage(
      adsLocation,
      {
        kind: "azure-shared-key",
        accountName: azurite.accountName,
        accountKey: azurite.accountKey,
      },
      { maxAttempts: 1 },
    );
    await world.publish(woodgrove, "ads", {
      location: adsLocation,
      storage: ads,
      schema: [
        { name: "customer_id", type: "string" },
        { name: "region", type: "string" },
      ],
      files: { "ads.csv": "customer_id,region\nc1,north\nc2,south\nc3,north\nc4,south\n" },
    });
    const sas = await grantAzureAccess(ads as AzureBlobStorage, {
      access: "read",
      expiresAt: inAnHour(),
    });
    await world.putGrant(woodgrove, "ads-read", {
      value: sas.sas,
      kind: "azure-sas",
      expiresAt: sas.expiresAt,
    });

    // woodgrove's report sink in the S3 server, written through an S3 credentials grant.
    const reportLocation: DatasetLocation = { kind: "s3", endpoint: s3.endpoint, bucket: "report" };
    report = openStorage(reportLocation, {
      kind: "s3-static",
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    await world.publish(woodgrove, "report", {
      location: reportLocation,
      storage: report,
      schema: [
        { name: "region", type: "string" },
        { name: "total", type: "double" },
        { name: "n", type: "long" },
      ],
    });
    const expiresAt = new Date(Math.floor(inAnHour().getTime() / 1000) * 1000).toISOString();
    await world.putGrant(woodgrove, "report-write", {
      value: JSON.stringify({
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
        bucket: "report",
        access: "write",
        expiresAt,
      }),
      kind: "s3-credentials",
      expiresAt,
    });

    // northwind's daily sink: a local folder.
    const dailyLocation: DatasetLocation = { kind: "local", path: join(world.folder, "daily") };
    daily = openStorage(dailyLocation);
    await world.publish(northwind, "daily", {
      location: dailyLocation,
      storage: daily,
      schema: [
        { name: "total", type: "double" },
        { name: "n", type: "long" },
      ],
    });

    // northwind's visits as Parquet in a local folder (the test makes the file with DuckDB).
    const parquet = join(world.folder, "visits.parquet");
    const duckdb = await DuckDBInstance.create(":memory:");
    const connection = await duckdb.connect();
    await connection.run(
      `COPY (SELECT * FROM (VALUES ('north', 2.5, 'x@n'), ('north', 1.5, 'y@n'), ('south', 4.0, 'z@s'))` +
        ` AS t(region, amount, email)) TO '${parquet}' (FORMAT parquet)`,
    );
    connection.closeSync();
    duckdb.closeSync();
    const visitsLocation: DatasetLocation = { kind: "local", path: join(world.folder, "visits") };
    await world.publish(northwind, "visits", {
      location: visitsLocation,
      storage: openStorage(visitsLocation),
      format: "parquet",
      schema: [
        { name: "region", type: "string" },
        { name: "amount", type: "double" },
        { name: "email", type: "string" },
      ],
      allowedFields: ["region", "amount"],
      files: { "visits.parquet": await readFile(parquet) },
    });
    await world.approveQuery(
      "visits-by-region",
      {
        sql: [
          {
            statement:
              "SELECT region, SUM(amount) AS total, COUNT(*) AS n FROM visits GROUP BY region ORDER BY region",
          },
        ],
        inputs: [{ datasetId: "visits", view: "visits" }],
        output: { datasetId: "report" },
      },
      [northwind, woodgrove],
    );

    await world.approveQuery(
      "by-region",
      {
        sql: [
          {
            statement:
              "SELECT a.region, SUM(s.amount) AS total, COUNT(*) AS n FROM sales s JOIN ads a USING (customer_id) GROUP BY a.region ORDER BY a.region",
          },
        ],
        inputs: [
          { datasetId: "sales", view: "sales" },
          { datasetId: "ads", view: "ads" },
        ],
        output: { datasetId: "report" },
      },
      [northwind, woodgrove],
    );
    await world.approveQuery(
      "daily-total",
      {
        sql: [{ statement: "SELECT SUM(amount) AS total, COUNT(*) AS n FROM sales" }],
        inputs: [{ datasetId: "sales", view: "sales" }],
        output: { datasetId: "daily" },
        parameters: { date: { type: "date" } },
      },
      [northwind],
    );
    await world.approveQuery(
      "peek",
      {
        sql: [{ statement: "SELECT COUNT(DISTINCT email) AS n FROM sales" }],
        inputs: [{ datasetId: "sales", view: "sales" }],
        output: { datasetId: "daily" },
      },
      [northwind],
    );
    await world.approveQuery(
      "big-regions",
      {
        // Group sizes are counted in the relation the last segment reads: the joined rows.
        sql: [
          {
            name: "joined",
            statement: "SELECT a.region, s.amount FROM sales s JOIN ads a USING (customer_id)",
          },
          {
            statement:
              "SELECT region, SUM(amount) AS total, COUNT(*) AS n FROM joined GROUP BY region",
          },
        ],
        inputs: [
          { datasetId: "sales", view: "sales" },
          { datasetId: "ads", view: "ads" },
        ],
        output: { datasetId: "report" },
        thresholds: { minGroupSize: 3, groupBy: ["region"] },
      },
      [northwind, woodgrove],
    );
    await world.approveQuery(
      "needs-more",
      {
        sql: [{ statement: "SELECT SUM(amount) AS total, COUNT(*) AS n FROM sales" }],
        inputs: [{ datasetId: "sales", view: "sales" }],
        output: { datasetId: "daily" },
        preconditions: { minRowsPerView: 1000 },
      },
      [northwind],
    );
    runtime = world.startRuntime();
  });
  after(async () => {
    await world?.stop();
    await Promise.all([azurite?.stop(), s3?.stop()]);
  });

  it("joins a local and an Azure input into an S3 sink: output for the sink owner, digest in the statement", async () => {
    const runId = await world.requestRun("by-region");
    const run = await world.finished(runId);
    assert.equal(run.state, "Completed", run.failure?.reason);
    assert.equal(run.claim!.measurement, runtime.handle.measurement);
    assert.deepEqual(run.result!.rowCounts, { "input:sales": 5, "input:ads": 4, output: 2 });
    assert.deepEqual(Object.keys(run.result!.durationsMs), [
      "keys",
      "load",
      "query",
      "thresholds",
      "write",
    ]);

    const object = `runs/${runId}/output.csv`;
    const ciphertext = await bytesOf(await report.get(object));
    const statement = await statementOf(runId);
    assert.deepEqual(statement.outputDigests, [
      {
        datasetId: "report",
        object,
        sha256: createHash("sha256").update(ciphertext).digest("hex"),
      },
    ]);
    assert.equal(statement.measurement, runtime.handle.measurement);

    const binding = { binding: `${CONTRACT}/report` };
    const plaintext = await decryptBytes(world.deks.get("report")!, ciphertext, binding);
    const [header, ...rows] = rowsOf(plaintext.toString("utf8"));
    assert.deepEqual(header, ["region", "total", "n"]);
    assert.deepEqual(
      rows.map(([region, total, n]) => [region, Number(total), Number(n)]),
      [
        ["north", 16.5, 3],
        ["south", 120, 2],
      ],
    );
    for (const other of ["sales", "ads", "daily"]) {
      await assert.rejects(decryptBytes(world.deks.get(other)!, ciphertext, binding));
    }
  });

  it("selects the partition a run parameter names, in a local sink", async () => {
    const runId = await world.requestRun("daily-total", { date: "2026-01-02" });
    const run = await world.finished(runId);
    assert.equal(run.state, "Completed", run.failure?.reason);
    assert.equal(run.result!.rowCounts["input:sales"], 2);
    const ciphertext = await bytesOf(await daily.get(`runs/${runId}/output.csv`));
    assert.equal(
      (await statementOf(runId)).outputDigests[0]!.sha256,
      createHash("sha256").update(ciphertext).digest("hex"),
    );
    const text = await decryptBytes(world.deks.get("daily")!, ciphertext, {
      binding: `${CONTRACT}/daily`,
    });
    const [, row] = rowsOf(text.toString("utf8"));
    assert.deepEqual(row!.map(Number), [101, 2]);
  });

  it("reads a Parquet input, projected to its allowed fields", async () => {
    const run = await world.finished(await world.requestRun("visits-by-region"));
    assert.equal(run.state, "Completed", run.failure?.reason);
    assert.equal(run.result!.rowCounts["input:visits"], 3);
    const ciphertext = await bytesOf(await report.get(`runs/${run.runId}/output.csv`));
    const text = await decryptBytes(world.deks.get("report")!, ciphertext, {
      binding: `${CONTRACT}/report`,
    });
    assert.deepEqual(rowsOf(text.toString("utf8")), [
      ["region", "total", "n"],
      ["north", "4.0", "2"],
      ["south", "4.0", "1"],
    ]);
  });

  it("drops groups below the output threshold, and fails a run whose precondition fails", async () => {
    const thresholded = await world.finished(await world.requestRun("big-regions"));
    assert.equal(thresholded.state, "Completed", thresholded.failure?.reason);
    const ciphertext = await bytesOf(await report.get(`runs/${thresholded.runId}/output.csv`));
    const text = await decryptBytes(world.deks.get("report")!, ciphertext, {
      binding: `${CONTRACT}/report`,
    });
    assert.deepEqual(
      rowsOf(text.toString("utf8"))
        .slice(1)
        .map(([region]) => region),
      ["north"],
    );
    assert.equal(thresholded.result!.rowCounts["output"], 1);

    const short = await world.finished(await world.requestRun("needs-more"));
    assert.equal(short.state, "Failed");
    assert.match(short.failure!.reason, /^PreconditionFailed: /);
  });

  it("fails a query that names a field the dataset does not allow, with the engine's reason", async () => {
    const runId = await world.requestRun("peek");
    const run = await world.finished(runId);
    assert.equal(run.state, "Failed");
    assert.match(run.failure!.reason, /^QueryFailed: /);
    assert.ok(!run.failure!.reason.includes("@x"), "no data value in the reason");
    assert.equal(await daily.exists(`runs/${runId}/output.csv`), false);
  });

  it("fails a run whose input grant is missing or expired, with governance's code", async () => {
    const woodgrove = world.owners[1]!;
    await world.deleteGrant(woodgrove, "ads-read");
    const missing = await world.finished(await world.requestRun("by-region"));
    assert.equal(missing.state, "Failed");
    assert.match(missing.failure!.reason, /^SecretNotFound: /);

    // A grant that expires before the run asks for it.
    const expiresAt = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000).toISOString();
    await world.putGrant(woodgrove, "ads-read", { value: "sv=x", kind: "azure-sas", expiresAt });
    await runtime.handle.stop();
    const runId = await world.requestRun("by-region");
    while (Date.now() <= Date.parse(expiresAt)) await new Promise((r) => setTimeout(r, 100));
    runtime = world.startRuntime({ workspace: runtime.workspace });
    const expired = await world.finished(runId);
    assert.equal(expired.state, "Failed");
    assert.match(expired.failure!.reason, /^SecretExpired: /);
    await runtime.handle.whenIdle();
    assert.equal(readStatus(runtime.workspace)?.counts.failed, 1);
  });

  it("binds every run to a key pair of its own, runs requested together included", async () => {
    const runIds: string[] = [];
    for (let i = 0; i < 3; i++) runIds.push(await world.requestRun("daily-total"));
    const runs = await Promise.all(runIds.map((runId) => world.finished(runId)));
    for (const run of runs) assert.equal(run.state, "Completed", run.failure?.reason);
    assert.equal(new Set(runs.map((run) => run.claim!.keyDigest)).size, 3);
  });

  it("leaves a run Requested when the contract does not allow the runtime's measurement", async () => {
    await runtime.handle.stop();
    // Another configuration is another measurement, which the contract's policy does not list.
    const other = world.startRuntime({ engine: { threads: 1 } });
    assert.notEqual(other.handle.measurement, world.measurement);
    const runId = await world.requestRun("daily-total");
    const refused = await logged(
      other.logs,
      (e) => e.event === "run.claim.refused" && e["runId"] === runId,
    );
    assert.equal(refused["code"], "MeasurementNotAllowed");
    assert.equal((await world.run(runId)).state, "Requested");
    await other.handle.stop();
    assert.equal(readStatus(other.workspace)?.state, "stopped");
    assert.equal(readStatus(other.workspace)?.counts.claimsRefused, 1);

    runtime = world.startRuntime({ workspace: runtime.workspace });
    assert.equal((await world.finished(runId)).state, "Completed");
  });

  it("fails a run when an owner switched execution consent off after it was requested", async () => {
    await runtime.handle.stop();
    const runId = await world.requestRun("daily-total");
    const off = await world.c.call(
      world.owners[0],
      `/app/contracts/${CONTRACT}/consent/datasets/sales`,
      { method: "PUT", body: { execution: false } },
    );
    assert.equal(off.status, 200, off.text);
    runtime = world.startRuntime({ workspace: runtime.workspace });
    const run = await world.finished(runId);
    assert.equal(run.state, "Failed");
    assert.match(run.failure!.reason, /^DatasetConsentOff: /);
  });
});
