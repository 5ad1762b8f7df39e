/**
 * One QuickJS interpreter (runtime + context) with the CCF globals installed, able to load the
 * app's modules and run endpoint functions or governance code, one execution at a time.
 */
import { createHash, randomBytes } from "node:crypto";
import type {
  QuickJSContext,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
} from "quickjs-emscripten-core";
import { ccfCrypto, type CcfCryptoFunction } from "../globals/crypto.js";
import { verifySnpAttestationCall, type SnpTrust } from "../globals/snp.js";
import { bytesToKey, keyToBytes, type StoreView } from "../kv/store.js";
import { Transaction } from "../kv/tx.js";
import { Marshal, MARSHAL_HELPERS, type HostValue } from "./marshal.js";
import { PRELUDE } from "./prelude.js";

export interface RuntimeLimits {
  maxHeapBytes: number;
  maxStackBytes: number;
  maxExecutionTimeMs: number;
}

/**
 * QuickJS's stack limit must stay well below the native stack of the thread running it, or deep
 * recursion overflows the host instead of raising QuickJS's own "stack overflow". The engine
 * thread is started with ENGINE_THREAD_STACK_MB of stack; this cap keeps a wide margin.
 */
export const ENGINE_THREAD_STACK_MB = 64;
export const MAX_SAFE_STACK_BYTES = 8 * 1024 * 1024;

export type LogLevel = "info" | "fail" | "fatal";

/** What the node offers every execution, whatever the request. */
export interface NodeServices {
  lastCommittedTxId(): { view: number; seqno: number };
  statusForTxId(view: number, seqno: number): string;
  viewForSeqno(seqno: number): number | undefined;
  /** The store as of `seqno`, or undefined if that seqno is not committed. */
  historicalView(seqno: number): StoreView | undefined;
  /** CCF's receipt object for a committed seqno (`ccf.historicalState.receipt`), or null. */
  receipt(seqno: number): HostValue;
  log(level: LogLevel, line: string): void;
  /** The roots `snp_attestation.verifySnpAttestation` trusts. */
  snpTrust: SnpTrust;
  /** Governance effects (`ccf.node.*`, `ccf.setJwtPublicSigningKeys`, …); governance interpreters only. */
  governanceEffect?(name: string, args: HostValue[]): HostValue;
}

export interface HistoricalState {
  transactionId: string;
  receipt: HostValue;
  view: StoreView;
}

/** The state of one execution: its transaction, request body and what the handler asked for. */
export class Execution {
  applyWrites: boolean | undefined;
  claimsDigest: Uint8Array | undefined;
  readonly sources = new Map<number, Transaction>();

  constructor(
    readonly tx: Transaction,
    readonly body: Uint8Array = new Uint8Array(0),
    readonly historical?: HistoricalState,
  ) {
    this.sources.set(0, tx);
  }

  addSource(view: StoreView): number {
    const id = this.sources.size;
    this.sources.set(id, new Transaction(view, "app-readonly"));
    return id;
  }
}

export type ExecutionFailure = {
  ok: false;
  /** "timeout", "exception", or "invalid" (a handler result CCF refuses). */
  reason: "timeout" | "exception" | "invalid";
  message: string;
  /** For exceptions: the error's `name: message` and its stack, never shown unless configured. */
  exception?: { message: string; trace: string };
};

export type EndpointResult =
  | {
      ok: true;
      status: number;
      headers: Record<string, string>;
      body: Uint8Array | undefined;
      contentType: string | undefined;
    }
  | ExecutionFailure;

const ENTRY_POINTS = ["begin", "end", "invoke", "call", "metricsLogging"] as const;
type EntryPoint = (typeof ENTRY_POINTS)[number];

export type ModuleSource = (name: string) => string | undefined;

const CONTENT_TYPES: Record<string, string | undefined> = {
  none: undefined,
  bytes: "application/octet-stream",
  text: "text/plain",
  json: "application/json",
};

class HostError extends Error {
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

export class Interpreter {
  private readonly runtime: QuickJSRuntime;
  private readonly ctx: QuickJSContext;
  private readonly marshal: Marshal;
  /** The prelude's entry points, looked up once: see `callEntry`. */
  private readonly entry: Record<EntryPoint, QuickJSHandle>;
  private readonly namespaces = new Map<string, QuickJSHandle>();
  private execution: Execution | undefined;
  private generation = 0;
  private static generations = 0;
  private deadline = Infinity;
  /** Set once a limit was hit: such an interpreter is discarded, never reused. */
  poisoned = false;

  constructor(
    private readonly wasm: QuickJSWASMModule,
    private readonly modules: ModuleSource,
    private readonly services: NodeServices,
    readonly limits: RuntimeLimits,
    governance = false,
  ) {
    this.runtime = wasm.newRuntime();
    this.runtime.setMemoryLimit(limits.maxHeapBytes);
    this.runtime.setMaxStackSize(Math.min(limits.maxStackBytes, MAX_SAFE_STACK_BYTES));
    this.runtime.setInterruptHandler(() => Date.now() > this.deadline);
    this.runtime.setModuleLoader(
      (name) => this.modules(name) ?? { error: new Error(`Module '${name}' not found`) },
      (base, requested) => resolveModuleName(base, requested),
    );
    this.ctx = this.runtime.newContext();
    const helpers = this.ctx.unwrapResult(this.ctx.evalCode(MARSHAL_HELPERS, "<marshal>"));
    this.marshal = new Marshal(this.ctx, wasm, helpers);
    helpers.dispose();
    const host = this.installHostFunctions();
    const prelude = this.ctx.unwrapResult(this.ctx.evalCode(PRELUDE, "<ccf>"));
    const governanceFlag = governance ? this.ctx.true : this.ctx.false;
    const entry = this.ctx.unwrapResult(
      this.ctx.callFunction(prelude, this.ctx.undefined, host, governanceFlag),
    );
    this.entry = Object.fromEntries(
      ENTRY_POINTS.map((name) => [name, this.ctx.getProp(entry, name)]),
    ) as Record<EntryPoint, QuickJSHandle>;
    entry.dispose();
    prelude.dispose();
    host.dispose();
  }

  dispose(): void {
    for (const ns of this.namespaces.values()) ns.dispose();
    this.namespaces.clear();
    Object.values(this.entry).forEach((h) => h.dispose());
    this.marshal.dispose();
    this.ctx.dispose();
    this.runtime.dispose();
  }

  /** Runs an endpoint function with a request built from `meta` (JSON text) and `caller`. */
  invokeEndpoint(
    execution: Execution,
    moduleName: string,
    functionName: string,
    metaJson: string,
    caller: HostValue,
  ): EndpointResult {
    return this.within(execution, () => {
      const args = [
        this.exportedFunction(moduleName, functionName),
        this.ctx.newString(metaJson),
        this.marshal.fromHost(caller),
      ];
      let result: QuickJSHandle | undefined;
      try {
        result = this.callEntry("invoke", args);
        return this.readResponse(result);
      } finally {
        result?.dispose();
        args.forEach((h) => h.dispose());
      }
    });
  }

  /** Calls an exported function with host arguments and returns its result as a host value. */
  callFunction(
    execution: Execution,
    moduleName: string,
    functionName: string,
    args: HostValue[],
  ): { ok: true; value: HostValue } | ExecutionFailure {
    return this.within(execution, () => {
      const handles = [
        this.exportedFunction(moduleName, functionName),
        this.marshal.fromHost(args),
      ];
      let result: QuickJSHandle | undefined;
      try {
        result = this.callEntry("call", handles);
        return { ok: true as const, value: this.marshal.toHost(result) };
      } finally {
        result?.dispose();
        handles.forEach((h) => h.dispose());
      }
    });
  }

  /** Whether the app switched off the per-request metrics log line. */
  metricsLogging(): boolean {
    const result = this.callEntry("metricsLogging", []);
    const enabled = this.ctx.dump(result) === true;
    result.dispose();
    return enabled;
  }

  private within<T extends { ok: boolean }>(
    execution: Execution,
    body: () => T,
  ): T | ExecutionFailure {
    this.execution = execution;
    this.generation = ++Interpreter.generations;
    this.deadline = Date.now() + this.limits.maxExecutionTimeMs;
    try {
      const historical = execution.historical
        ? {
            transactionId: execution.historical.transactionId,
            receipt: execution.historical.receipt,
            source: execution.addSource(execution.historical.view),
          }
        : undefined;
      const begin = [this.ctx.newNumber(this.generation), this.marshal.fromHost(historical)];
      try {
        this.callEntry("begin", begin).dispose();
      } finally {
        begin.forEach((h) => h.dispose());
      }
      return body();
    } catch (error) {
      return this.failure(error);
    } finally {
      this.deadline = Infinity;
      if (!this.poisoned) this.callEntry("end", []).dispose();
      this.execution = undefined;
      this.generation = 0;
    }
  }

  private failure(error: unknown): ExecutionFailure {
    if (error instanceof GuestException) {
      const timedOut = error.message === "InternalError: interrupted";
      if (timedOut || error.isResourceError) this.poisoned = true;
      if (timedOut)
        return { ok: false, reason: "timeout", message: "Operation took too long to complete." };
      return {
        ok: false,
        reason: "exception",
        message: "Exception thrown while executing.",
        exception: { message: error.message, trace: error.trace },
      };
    }
    if (error instanceof InvalidResult)
      return { ok: false, reason: "invalid", message: error.message };
    throw error;
  }

  private exportedFunction(moduleName: string, functionName: string): QuickJSHandle {
    const ns = this.moduleNamespace(moduleName);
    const fn = this.ctx.getProp(ns, functionName);
    if (this.ctx.typeof(fn) !== "function") {
      fn.dispose();
      throw new GuestException(
        `TypeError: ${moduleName} does not export a function named ${functionName}`,
        "",
        false,
      );
    }
    return fn;
  }

  private moduleNamespace(name: string): QuickJSHandle {
    const cached = this.namespaces.get(name);
    if (cached) return cached;
    const source = this.modules(name);
    if (source === undefined)
      throw new GuestException(`Error: Module '${name}' not found`, "", false);
    const evaluated = this.ctx.evalCode(source, name, { type: "module" });
    if (evaluated.error) throw this.guestException(evaluated.error);
    const state = this.ctx.getPromiseState(evaluated.value);
    if (state.type === "rejected") {
      evaluated.value.dispose();
      throw this.guestException(state.error);
    }
    if (state.type === "pending") {
      evaluated.value.dispose();
      throw new GuestException(`Error: Module '${name}' did not finish evaluating`, "", false);
    }
    const ns = state.value;
    if (ns !== evaluated.value) evaluated.value.dispose();
    this.namespaces.set(name, ns);
    return ns;
  }

  /** Calls a prelude entry point through the handle taken at construction (no lookup per call). */
  private callEntry(name: EntryPoint, args: QuickJSHandle[]): QuickJSHandle {
    const result = this.ctx.callFunction(this.entry[name], this.ctx.undefined, ...args);
    if (result.error) throw this.guestException(result.error);
    return result.value;
  }

  private guestException(errorHandle: QuickJSHandle): GuestException {
    const ctx = this.ctx;
    const read = (prop: string): string | undefined => {
      const h = ctx.getProp(errorHandle, prop);
      const value = ctx.typeof(h) === "string" ? ctx.getString(h) : undefined;
      h.dispose();
      return value;
    };
    let name: string | undefined;
    let message: string;
    let trace = "";
    if (ctx.typeof(errorHandle) === "object") {
      name = read("name");
      message = read("message") ?? "";
      trace = read("stack") ?? "";
    } else {
      message = String(ctx.dump(errorHandle));
    }
    errorHandle.dispose();
    const resourceError =
      name === "InternalError" && /out of memory|stack overflow|interrupted/.test(message);
    return new GuestException(name ? `${name}: ${message}` : message, trace, resourceError);
  }

  private readResponse(result: QuickJSHandle): EndpointResult {
    const ctx = this.ctx;
    const item = (i: number) => ctx.getProp(result, i);
    const kindHandle = item(0);
    const kind = ctx.getString(kindHandle);
    kindHandle.dispose();
    if (kind === "invalid")
      throw new InvalidResult("Invalid endpoint function return value (not an object).");
    if (kind === "badjson")
      throw new InvalidResult(
        "Invalid endpoint function return value (error during JSON conversion of body).",
      );
    const statusHandle = item(3);
    let status = 200;
    const statusType = ctx.typeof(statusHandle);
    const isNull = statusType === "object" && ctx.dump(statusHandle) === null;
    if (statusType !== "undefined" && !isNull) {
      if (!this.marshal.isIntegerTagged(statusHandle)) {
        statusHandle.dispose();
        throw new InvalidResult("Invalid endpoint function return value (status code type).");
      }
      status = ctx.getNumber(statusHandle);
    }
    statusHandle.dispose();
    let body: Uint8Array | undefined;
    if (kind !== "none") {
      const payload = item(1);
      body =
        kind === "bytes"
          ? this.marshal.bytes(payload)
          : Buffer.from(ctx.getString(payload), "utf8");
      payload.dispose();
    }
    const headersHandle = item(2);
    const headers = this.marshal.toHost(headersHandle) as Record<string, string>;
    headersHandle.dispose();
    return { ok: true, status, headers, body, contentType: CONTENT_TYPES[kind] };
  }

  // ---- host functions --------------------------------------------------------------------

  private installHostFunctions(): QuickJSHandle {
    const ctx = this.ctx;
    const host = ctx.newObject();
    const define = (name: string, fn: (...args: HostValue[]) => HostValue) => {
      const handle = ctx.newFunction(name, (...argHandles) => {
        try {
          const args = argHandles.map((h) => this.marshal.toHost(h));
          return this.marshal.fromHost(fn(...args));
        } catch (error) {
          return { error: this.toGuestError(error) };
        }
      });
      ctx.setProp(host, name, handle);
      handle.dispose();
    };
    const source = (gen: HostValue, id: HostValue): Transaction => {
      const execution = this.execution;
      if (gen !== this.generation || execution === undefined)
        throw new HostError("Error", "This KV handle belongs to an execution that has ended");
      const tx = execution.sources.get(id as number);
      if (!tx) throw new HostError("Error", "Unknown KV source");
      return tx;
    };
    const key = (value: HostValue): string => bytesToKey(value as Uint8Array);
    const name = (value: HostValue): string => value as string;

    define("kvGet", (g, s, t, k) => source(g, s).get(name(t), key(k)));
    define("kvHas", (g, s, t, k) => source(g, s).has(name(t), key(k)));
    define("kvVersion", (g, s, t, k) => source(g, s).versionOfPreviousWrite(name(t), key(k)));
    define("kvSet", (g, s, t, k, v) => void source(g, s).set(name(t), key(k), v as Uint8Array));
    define("kvDelete", (g, s, t, k) => void source(g, s).delete(name(t), key(k)));
    define("kvClear", (g, s, t) => void source(g, s).clear(name(t)));
    define("kvSize", (g, s, t) => source(g, s).size(name(t)));
    define("kvEntries", (g, s, t) =>
      source(g, s)
        .entries(name(t))
        .flatMap(([k, v]) => [keyToBytes(k), v]),
    );

    define("strToBuf", (text) => Buffer.from(text as string, "utf8"));
    define("bufToStr", (bytes) => Buffer.from(bytes as Uint8Array).toString("utf8"));
    define("pemToId", (pem) => pemToId(pem as string));
    define("now", () => Date.now());
    define("random", () => randomBytes(6).readUIntBE(0, 6) / 2 ** 48);
    define("log", (level, line) => void this.services.log(level as LogLevel, line as string));

    const cryptoFunctions = ctx.newArray();
    Object.keys(ccfCrypto).forEach((fnName, i) => {
      const h = ctx.newString(fnName);
      ctx.setProp(cryptoFunctions, i, h);
      h.dispose();
    });
    ctx.setProp(host, "cryptoFunctions", cryptoFunctions);
    cryptoFunctions.dispose();
    define(
      "crypto",
      (fnName, ...args) =>
        ccfCrypto[fnName as CcfCryptoFunction](...args.map(hostArgument)) as HostValue,
    );
    define("verifySnpAttestation", (...args) =>
      verifySnpAttestationCall(this.services.snpTrust, args.map(hostArgument)),
    );

    define("setApplyWrites", (g, apply) => {
      this.activeExecution(g).applyWrites = apply as boolean;
      return undefined;
    });
    define("setClaimsDigest", (g, digest) => {
      this.activeExecution(g).claimsDigest = digest as Uint8Array;
      return undefined;
    });
    define("bodyText", (g) => Buffer.from(this.activeExecution(g).body).toString("utf8"));
    define("bodyBytes", (g) => this.activeExecution(g).body);

    define("lastCommittedTxId", () => this.services.lastCommittedTxId());
    define("statusForTxId", (view, seqno) =>
      this.services.statusForTxId(view as number, seqno as number),
    );
    define("viewForSeqno", (seqno) => this.services.viewForSeqno(seqno as number) ?? null);
    define("getStateRange", (g, _handle, start, end) => {
      const execution = this.activeExecution(g);
      const first = start as number;
      const last = end as number;
      if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || first < 1 || last < first)
        throw new HostError("RangeError", "Invalid seqno range");
      const states: HostValue[] = [];
      for (let seqno = first; seqno <= last; seqno++) {
        // As on CCF, only committed state is available; until then the app gets null.
        const txView = this.services.viewForSeqno(seqno);
        if (txView === undefined || this.services.statusForTxId(txView, seqno) !== "Committed")
          return null;
        const view = this.services.historicalView(seqno);
        if (!view) return null;
        states.push({
          transactionId: `${txView}.${seqno}`,
          receipt: this.services.receipt(seqno),
          source: execution.addSource(view),
        });
      }
      return states;
    });
    define("dropCachedStates", () => true);
    define("gov", (effect, ...args) => {
      if (!this.services.governanceEffect)
        throw new HostError("Error", "Not available outside governance");
      return this.services.governanceEffect(effect as string, args);
    });
    return host;
  }

  private activeExecution(gen: HostValue): Execution {
    if (gen !== this.generation || this.execution === undefined)
      throw new HostError("Error", "This request has ended");
    return this.execution;
  }

  private toGuestError(error: unknown): QuickJSHandle {
    if (error instanceof HostError) return this.marshal.error(error.errorName, error.message);
    if (error instanceof Error) return this.marshal.error(error.name, error.message);
    return this.marshal.error("Error", String(error));
  }
}

/** Arguments for host libraries: bytes as ArrayBuffer, everything else as it came. */
function hostArgument(value: HostValue): unknown {
  if (value instanceof Uint8Array)
    return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
  if (Array.isArray(value)) return value.map(hostArgument);
  if (
    value !== null &&
    typeof value === "object" &&
    !(value instanceof ArrayBuffer) &&
    value.constructor === Object
  )
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hostArgument(v)]));
  return value;
}

/** CCF's id for a certificate: the lower-hex SHA-256 of its DER. */
export function pemToId(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new HostError("Error", "Argument is not a PEM certificate");
  const der = Buffer.from(match[1]!.replace(/\s+/g, ""), "base64");
  return createHash("sha256").update(der).digest("hex");
}

/** Resolves an import relative to the importing module, as names are stored: `/dir/file.js`. */
export function resolveModuleName(base: string, requested: string): string {
  if (!requested.startsWith("./") && !requested.startsWith("../")) {
    return requested.startsWith("/") ? requested : `/${requested}`;
  }
  const parts = base.split("/").slice(0, -1);
  for (const part of requested.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  const joined = parts.join("/");
  return joined.startsWith("/") ? joined : `/${joined}`;
}

class GuestException extends Error {
  constructor(
    message: string,
    readonly trace: string,
    readonly isResourceError: boolean,
  ) {
    super(message);
  }
}

class InvalidResult extends Error {}
