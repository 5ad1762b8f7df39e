/**
 * The JavaScript that every interpreter evaluates before any app module: it installs the `ccf`
 * global, `snp_attestation`, `console`, CCF's `Date` and `Math.random`, and returns the entry points
 * the host uses to run one execution. Bulk work (KV, encoding, crypto) is delegated to host
 * functions, as CCF does in C++: byte loops inside QuickJS are slow.
 *
 * Each execution has a generation number. Objects bound to an execution (KV handles, the request
 * body) carry it, and the host refuses calls from a finished generation, so a reused interpreter
 * cannot reach a previous request's transaction through a handle it kept.
 */
export const PRELUDE = String.raw`(function (host, governance) {
  "use strict";
  const RealDate = Date;
  let untrustedTime = false;
  let metricsLogging = true;
  let generation = 0;

  function requireBuffer(value) {
    if (!(value instanceof ArrayBuffer)) throw new TypeError("Argument must be an ArrayBuffer");
    return value;
  }
  function requireBoolean(value) {
    if (typeof value !== "boolean") throw new TypeError("Argument must be a boolean");
    return value;
  }

  RealDate.now = function now() {
    return untrustedTime ? host.now() : 0;
  };
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [RealDate.now()] : args, newTarget);
    },
    apply() {
      return new RealDate(RealDate.now()).toString();
    },
  });
  Math.random = function random() {
    return host.random();
  };

  function format(args) {
    return args
      .map((arg) => {
        if (typeof arg === "string") return arg;
        try {
          const text = JSON.stringify(arg);
          return text === undefined ? String(arg) : text;
        } catch (e) {
          return String(arg);
        }
      })
      .join(" ");
  }
  globalThis.console = {
    log: (...args) => host.log("info", format(args)),
    info: (...args) => host.log("info", format(args)),
    warn: (...args) => host.log("fail", format(args)),
    error: (...args) => host.log("fatal", format(args)),
  };

  class KvMap {
    #generation;
    #source;
    #name;
    constructor(gen, source, name) {
      this.#generation = gen;
      this.#source = source;
      this.#name = name;
    }
    has(key) {
      return host.kvHas(this.#generation, this.#source, this.#name, requireBuffer(key));
    }
    get(key) {
      return host.kvGet(this.#generation, this.#source, this.#name, requireBuffer(key));
    }
    getVersionOfPreviousWrite(key) {
      return host.kvVersion(this.#generation, this.#source, this.#name, requireBuffer(key));
    }
    set(key, value) {
      requireBuffer(key);
      requireBuffer(value);
      host.kvSet(this.#generation, this.#source, this.#name, key, value);
      return this;
    }
    delete(key) {
      host.kvDelete(this.#generation, this.#source, this.#name, requireBuffer(key));
    }
    clear() {
      host.kvClear(this.#generation, this.#source, this.#name);
    }
    get size() {
      return host.kvSize(this.#generation, this.#source, this.#name);
    }
    forEach(callback) {
      const entries = host.kvEntries(this.#generation, this.#source, this.#name);
      for (let i = 0; i < entries.length; i += 2) callback(entries[i + 1], entries[i], this);
    }
  }

  function kvNamespace(gen, source) {
    const maps = new Map();
    return new Proxy(Object.create(null), {
      get(_target, name) {
        if (typeof name !== "string") return undefined;
        let map = maps.get(name);
        if (!map) {
          map = new KvMap(gen, source, name);
          maps.set(name, map);
        }
        return map;
      },
      set() {
        return false;
      },
    });
  }

  function historicalState(gen, state) {
    return { transactionId: state.transactionId, receipt: state.receipt, kv: kvNamespace(gen, state.source) };
  }

  const crypto = {};
  for (const name of host.cryptoFunctions) {
    crypto[name] = (...args) => host.crypto(name, ...args);
  }

  const ccf = {
    strToBuf(value) {
      if (typeof value !== "string") throw new TypeError("Argument must be a string");
      return host.strToBuf(value);
    },
    bufToStr(value) {
      return host.bufToStr(requireBuffer(value));
    },
    jsonCompatibleToBuf(value) {
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError("Argument is not JSON-compatible");
      return host.strToBuf(text);
    },
    bufToJsonCompatible(value) {
      return JSON.parse(host.bufToStr(requireBuffer(value)));
    },
    enableUntrustedDateTime(enable) {
      const previous = untrustedTime;
      untrustedTime = requireBoolean(enable);
      return previous;
    },
    enableMetricsLogging(enable) {
      const previous = metricsLogging;
      metricsLogging = requireBoolean(enable);
      return previous;
    },
    pemToId(pem) {
      if (typeof pem !== "string") throw new TypeError("Argument must be a string");
      return host.pemToId(pem);
    },
    crypto,
    rpc: {
      setApplyWrites(apply) {
        host.setApplyWrites(generation, requireBoolean(apply));
      },
      setClaimsDigest(digest) {
        requireBuffer(digest);
        if (digest.byteLength !== 32) throw new TypeError("Claims digest must be 32 bytes");
        host.setClaimsDigest(generation, digest);
      },
    },
    consensus: {
      getLastCommittedTxId() {
        return host.lastCommittedTxId();
      },
      getStatusForTxId(view, seqno) {
        return host.statusForTxId(view, seqno);
      },
      getViewForSeqno(seqno) {
        return host.viewForSeqno(seqno);
      },
    },
    historical: {
      getStateRange(handle, startSeqno, endSeqno, secondsUntilExpiry) {
        const gen = generation;
        const states = host.getStateRange(gen, handle, startSeqno, endSeqno, secondsUntilExpiry);
        return states === null ? null : states.map((state) => historicalState(gen, state));
      },
      dropCachedStates(handle) {
        return host.dropCachedStates(handle);
      },
    },
  };

  if (governance) {
    ccf.refreshAppBytecodeCache = () => host.gov("refreshAppBytecodeCache");
    ccf.setJwtPublicSigningKeys = (issuer, metadata, jwks) =>
      host.gov("setJwtPublicSigningKeys", issuer, metadata, jwks);
    ccf.removeJwtPublicSigningKeys = (issuer) => host.gov("removeJwtPublicSigningKeys", issuer);
    ccf.node = {
      transitionServiceToOpen: (previous, next) => host.gov("transitionServiceToOpen", previous, next),
    };
  }

  Object.defineProperty(globalThis, "ccf", { value: ccf, writable: false, configurable: false });
  globalThis.snp_attestation = {
    verifySnpAttestation: (...args) => host.verifySnpAttestation(...args),
  };

  function convertResponse(result) {
    if (result === null || (typeof result !== "object" && typeof result !== "function")) return ["invalid"];
    const body = result.body;
    let kind;
    let payload;
    if (body === undefined) {
      kind = "none";
    } else if (body instanceof ArrayBuffer) {
      kind = "bytes";
      payload = body;
    } else if (ArrayBuffer.isView(body)) {
      kind = "bytes";
      payload = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
    } else if (typeof body === "string") {
      kind = "text";
      payload = body;
    } else {
      try {
        payload = JSON.stringify(body);
      } catch (e) {
        return ["badjson"];
      }
      if (payload === undefined) return ["badjson"];
      kind = "json";
    }
    const headers = {};
    const given = result.headers;
    if (given !== undefined && given !== null) {
      for (const name of Object.keys(given)) headers[name] = String(given[name]);
    }
    return [kind, payload, headers, result.statusCode];
  }

  return {
    begin(gen, historical) {
      generation = gen;
      ccf.kv = kvNamespace(gen, 0);
      ccf.historicalState = historical === undefined ? undefined : historicalState(gen, historical);
    },
    end() {
      generation = 0;
      ccf.kv = undefined;
      ccf.historicalState = undefined;
    },
    invoke(fn, metaJson, caller) {
      const gen = generation;
      const meta = JSON.parse(metaJson);
      const request = {
        headers: meta.headers,
        params: meta.params,
        query: meta.query,
        path: meta.path,
        url: meta.url,
        route: meta.route,
        method: meta.method,
        hostname: meta.hostname,
        caller,
        body: {
          text: () => host.bodyText(gen),
          json: () => JSON.parse(host.bodyText(gen)),
          arrayBuffer: () => host.bodyBytes(gen),
        },
      };
      return convertResponse(fn(request));
    },
    call(fn, args) {
      return fn(...args);
    },
    metricsLogging() {
      return metricsLogging;
    },
  };
})`;
