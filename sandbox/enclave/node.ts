/**
 * The node: owns the store and the deployed app, and turns one HTTP request into one transaction.
 * Runs on the engine thread, one request at a time, so transactions are serialisable by
 * construction and a request never sees another's uncommitted writes.
 */
import type { QuickJSWASMModule } from "quickjs-emscripten-core";
import { GovApi } from "../gov/api.js";
import { authenticate, type GovReader } from "../auth/index.js";
import type { SnpTrust } from "../globals/snp.js";
import { bytesToKey, formatTxId, parseTxId, type Store, type TxId } from "../kv/store.js";
import { Transaction } from "../kv/tx.js";
import {
  errorResponse,
  jsonResponse,
  type HttpRequest,
  type HttpResponse,
} from "../http/messages.js";
import { Execution, type LogLevel, type NodeServices } from "../quickjs/interpreter.js";
import type { HostValue } from "../quickjs/marshal.js";
import type { CommitLog, TxStatus } from "./commits.js";
import { buildOpenApi } from "./openapi.js";
import { InterpreterPool } from "./pool.js";
import { Router, type Endpoint } from "./router.js";
import {
  APP_TABLES,
  readEndpoints,
  readModule,
  readRuntimeOptions,
  readServiceInfo,
  type RuntimeOptions,
} from "./tables.js";

export interface NodeIdentity {
  nodeId: string;
  serviceCertPem: string;
  /** The roots `snp_attestation.verifySnpAttestation` trusts. */
  snpTrust: SnpTrust;
}

const TX_HEADER = "x-ms-ccf-transaction-id";

export class Node {
  readonly store: Store;
  private router: Router | undefined;
  private options: RuntimeOptions | undefined;
  readonly pool: InterpreterPool;
  readonly services: NodeServices;
  /** Resolves once every transaction committed since the last `takeDurable()` is on disk. */
  private durable: Promise<void> | undefined;
  /** The `/gov` API (sandbox/gov/api.ts), made on first use. */
  private govApi: GovApi | undefined;

  constructor(
    readonly wasm: QuickJSWASMModule,
    readonly identity: NodeIdentity,
    private readonly logSink: (line: string) => void,
    private readonly commits: CommitLog,
  ) {
    this.store = commits.store;
    this.services = {
      lastCommittedTxId: () => this.commits.committedTxId,
      statusForTxId: (view, seqno) => this.txStatus({ view, seqno }),
      viewForSeqno: (seqno) => this.store.viewForSeqno(seqno),
      historicalView: (seqno) =>
        this.store.viewForSeqno(seqno) === undefined ? undefined : this.store.at(seqno),
      receipt: (seqno) => this.receiptObject(seqno),
      log: (level, line) => this.log(level, line),
      snpTrust: identity.snpTrust,
    };
    this.pool = new InterpreterPool(
      wasm,
      (name) => readModule(this.store.current, name),
      this.services,
    );
  }

  log(level: LogLevel | "host", line: string): void {
    this.logSink(level === "host" ? line : `[app] ${level === "info" ? "" : `${level}: `}${line}`);
  }

  /**
   * Commits a transaction's writes (to the store and the ledger) and refreshes what depends on
   * the tables it touched. The caller acknowledges it only after `takeDurable()` resolves.
   */
  commit(tx: Transaction, claimsDigest?: Uint8Array): TxId {
    const writes = tx.writeSet();
    const { id, durable } = this.commits.commit(writes, claimsDigest);
    this.durable = durable;
    if (APP_TABLES.some((table) => writes.has(table))) {
      this.router = undefined;
      this.options = undefined;
      this.pool.flush();
    }
    return id;
  }

  /** What the caller must wait for before acknowledging the requests handled since last time. */
  takeDurable(): Promise<void> | undefined {
    const durable = this.durable;
    this.durable = undefined;
    return durable;
  }

  /** The Merkle root over the committed transactions, which proposal ids bind to (§4.2). */
  merkleRoot(): Uint8Array {
    return this.commits.merkleRoot();
  }

  /** CCF's receipt for a committed transaction, as `ccf.historicalState.receipt` gives it. */
  private receiptObject(seqno: number): HostValue {
    const receipt = this.commits.receipt(seqno);
    return receipt === undefined ? null : (receipt as unknown as HostValue);
  }

  readonly govReader: GovReader = {
    get: (table: string, key: string) =>
      this.store.current.get(table, bytesToKey(Buffer.from(key, "utf8")))?.value,
  };

  txStatus(id: TxId): TxStatus {
    return this.commits.status(id);
  }

  private runtimeOptions(): RuntimeOptions {
    this.options ??= readRuntimeOptions(this.store.current);
    return this.options;
  }

  private appRouter(): Router {
    this.router ??= new Router(readEndpoints(this.store.current));
    return this.router;
  }

  handle(request: HttpRequest): HttpResponse {
    const response = this.dispatch(request);
    if (!(TX_HEADER in response.headers))
      response.headers[TX_HEADER] = formatTxId(this.store.lastTxId);
    return response;
  }

  private dispatch(request: HttpRequest): HttpResponse {
    const { path } = request;
    if (path === "/gov" || path.startsWith("/gov/")) {
      this.govApi ??= new GovApi(this);
      return this.govApi.handle(request);
    }
    if (path.startsWith("/node/")) return this.nodeEndpoint(request);
    if (path !== "/app" && !path.startsWith("/app/")) {
      return errorResponse(404, "ResourceNotFound", `Unknown path: ${path}.`);
    }
    if (readServiceInfo(this.store.current)?.status !== "Open") {
      return errorResponse(404, "FrontendNotOpen", "Frontend is not open.");
    }
    const appPath = path.slice("/app".length) || "/";
    const match = this.appRouter().match(request.method, appPath);
    if (match.kind === "found") return this.execute(request, match.endpoint, match.params);
    if (match.kind === "ambiguous") {
      return errorResponse(
        500,
        "InternalError",
        `Multiple endpoints match ${request.method} ${path}.`,
      );
    }
    const builtin = this.appBuiltin(request, appPath);
    if (builtin) return builtin;
    if (match.kind === "wrong-method") {
      return errorResponse(
        405,
        "UnsupportedHttpVerb",
        `Allowed methods for '${path}' are: ${match.allowed.join(", ")}.`,
        undefined,
        { allow: match.allowed.join(", ") },
      );
    }
    return errorResponse(404, "ResourceNotFound", `Unknown path: ${path}.`);
  }

  private execute(
    request: HttpRequest,
    endpoint: Endpoint,
    params: Record<string, string>,
  ): HttpResponse {
    const started = process.hrtime.bigint();
    const props = endpoint.properties;
    const auth = authenticate(
      props.authn_policies,
      { clientCertDer: request.clientCertDer, headers: request.headers, body: request.body },
      this.govReader,
      Date.now(),
    );
    if (!auth.ok) {
      return errorResponse(
        auth.status,
        auth.error.code,
        auth.error.message,
        auth.error.details,
        auth.headers,
      );
    }

    let historical: Execution["historical"];
    if (props.mode === "historical") {
      const resolved = this.historicalState(request);
      if ("status" in resolved) return resolved;
      historical = resolved;
    }
    const tx = new Transaction(
      this.store.current,
      props.mode === "readwrite" ? "app-readwrite" : "app-readonly",
    );
    const execution = new Execution(tx, request.body, historical);
    const options = this.runtimeOptions();
    const reuseKey = props.interpreter_reuse?.key;
    const interpreter = this.pool.acquire(reuseKey, {
      maxHeapBytes: options.max_heap_bytes,
      maxStackBytes: options.max_stack_bytes,
      maxExecutionTimeMs: options.max_execution_time_ms,
    });
    const query = request.query;
    const meta = JSON.stringify({
      headers: request.headers,
      params,
      query,
      path: request.path,
      url: query ? `${request.path}?${query}` : request.path,
      route: `/app${endpoint.path}`,
      method: request.method.toUpperCase(),
      hostname: request.headers["host"] ?? null,
    });
    const result = interpreter.invokeEndpoint(
      execution,
      props.js_module,
      props.js_function,
      meta,
      auth.caller,
    );
    const logMetrics = interpreter.poisoned || interpreter.metricsLogging();
    this.pool.release(interpreter, reuseKey, options.max_cached_interpreters);

    let response: HttpResponse;
    if (!result.ok) {
      if (result.exception && options.log_exception_details) {
        this.log("fail", `${result.exception.message}\n${result.exception.trace}`);
      }
      const details =
        result.exception && options.return_exception_details
          ? [
              {
                code: "JSException",
                message: result.exception.message,
                trace: result.exception.trace,
              },
            ]
          : undefined;
      response = errorResponse(500, "InternalError", result.message, details);
    } else {
      const headers: Record<string, string> = {};
      if (result.contentType) headers["content-type"] = result.contentType;
      for (const [name, value] of Object.entries(result.headers))
        headers[name.toLowerCase()] = value;
      const status = result.status;
      const apply = execution.applyWrites ?? (status >= 200 && status < 300);
      if (apply && tx.hasWrites) this.commit(tx, execution.claimsDigest);
      response = { status, headers, body: result.body };
    }
    if (logMetrics) {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      this.log(
        "host",
        `JS execution complete: Method=${request.method.toUpperCase()}, Path=/app${endpoint.path}, Status=${response.status}, ExecMilliseconds=${Math.round(ms)}`,
      );
    }
    return response;
  }

  private historicalState(
    request: HttpRequest,
  ): HttpResponse | NonNullable<Execution["historical"]> {
    const header = request.headers[TX_HEADER];
    if (header === undefined) {
      return errorResponse(
        400,
        "InvalidHeaderValue",
        `Historical query is missing '${TX_HEADER}' header.`,
      );
    }
    const id = this.committedTxId(
      header,
      () =>
        `The value '${header}' in header '${TX_HEADER}' could not be converted to a valid Tx ID.`,
      "InvalidHeaderValue",
    );
    if ("status" in id) return id;
    return {
      transactionId: formatTxId(id),
      receipt: this.receiptObject(id.seqno),
      view: this.store.at(id.seqno),
    };
  }

  /** Parses a transaction id that must be committed; otherwise the error CCF answers. */
  private committedTxId(
    raw: string,
    invalid: () => string,
    invalidCode: string,
  ): TxId | HttpResponse {
    const id = parseTxId(raw);
    if (!id) return errorResponse(400, invalidCode, invalid());
    const status = this.txStatus(id);
    if (status !== "Committed") {
      return errorResponse(
        404,
        status === "Invalid" ? "TransactionInvalid" : "TransactionPendingOrUnknown",
        `Only committed transactions can be queried. Transaction ${formatTxId(id)} is ${status}.`,
      );
    }
    return id;
  }

  private appBuiltin(request: HttpRequest, appPath: string): HttpResponse | undefined {
    if (request.method !== "GET") return undefined;
    switch (appPath) {
      case "/commit":
        return jsonResponse(200, { transaction_id: formatTxId(this.commits.committedTxId) });
      case "/receipt": {
        const raw = new URLSearchParams(request.query).get("transaction_id") ?? "";
        const id = this.committedTxId(
          raw,
          () => `Query parameter 'transaction_id' must be a transaction id of the form view.seqno.`,
          "InvalidQueryParameterValue",
        );
        if ("status" in id) return id;
        return jsonResponse(200, this.commits.receipt(id.seqno));
      }
      case "/tx": {
        const raw = new URLSearchParams(request.query).get("transaction_id");
        const id = raw === null ? undefined : parseTxId(raw);
        if (!id) {
          return errorResponse(
            400,
            "InvalidQueryParameterValue",
            "Query parameter 'transaction_id' must be a transaction id of the form view.seqno.",
          );
        }
        return jsonResponse(200, { transaction_id: formatTxId(id), status: this.txStatus(id) });
      }
      case "/api":
        return jsonResponse(200, buildOpenApi(this.appRouter().endpoints()));
      default:
        return undefined;
    }
  }

  private nodeEndpoint(request: HttpRequest): HttpResponse {
    const service = readServiceInfo(this.store.current);
    const committed = this.commits.committedTxId;
    if (request.method !== "GET") {
      return errorResponse(404, "ResourceNotFound", `Unknown path: ${request.path}.`);
    }
    switch (request.path) {
      case "/node/network":
        return jsonResponse(200, {
          service_certificate: this.identity.serviceCertPem,
          service_status: service?.status ?? "Opening",
          current_view: this.store.view,
          primary_id: this.identity.nodeId,
          recovery_count: service?.recovery_count ?? 0,
          service_data: service?.service_data ?? null,
          current_service_create_txid: service?.current_service_create_txid ?? "2.1",
        });
      case "/node/commit":
        return jsonResponse(200, { transaction_id: formatTxId(committed) });
      case "/node/state":
        return jsonResponse(200, {
          node_id: this.identity.nodeId,
          state: "PartOfNetwork",
          last_signed_seqno: committed.seqno,
          startup_seqno: 0,
        });
      default:
        return errorResponse(404, "ResourceNotFound", `Unknown path: ${request.path}.`);
    }
  }
}
