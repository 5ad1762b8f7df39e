/**
 * Conversion of values between the host (Node) and a QuickJS context.
 *
 * Host values are JSON-like data plus `ArrayBuffer`s (a `Uint8Array` on the host side becomes an
 * `ArrayBuffer` in QuickJS). Anything QuickJS holds that is not JSON-like data or an ArrayBuffer —
 * a TypedArray, a function — arrives on the host as `Opaque`, so host functions can refuse it.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSWASMModule } from "quickjs-emscripten-core";

/** Stands for a QuickJS value that the host does not interpret (e.g. a TypedArray). */
export class Opaque {
  constructor(readonly description: string) {}
}

export type HostValue =
  | undefined
  | null
  | boolean
  | number
  | string
  | ArrayBuffer
  | Uint8Array
  | Opaque
  | HostValue[]
  | { [key: string]: HostValue };

/** Helpers evaluated once per context, used by the conversions below. */
export const MARSHAL_HELPERS = `({
  kind(v) {
    if (v === null) return "null";
    if (v instanceof ArrayBuffer) return "buffer";
    if (Array.isArray(v)) return "array";
    if (ArrayBuffer.isView(v)) return "opaque";
    if (typeof v === "function") return "opaque";
    return "object";
  },
  keys(v) {
    return Object.keys(v);
  },
  makeError(name, message) {
    const Ctor = { TypeError, RangeError, SyntaxError, ReferenceError, InternalError }[name] || Error;
    return new Ctor(message);
  },
})`;

export class Marshal {
  private readonly kindFn: QuickJSHandle;
  private readonly makeErrorFn: QuickJSHandle;
  private readonly keysFn: QuickJSHandle;

  constructor(
    private readonly ctx: QuickJSContext,
    private readonly wasm: QuickJSWASMModule,
    helpers: QuickJSHandle,
  ) {
    this.kindFn = ctx.getProp(helpers, "kind");
    this.makeErrorFn = ctx.getProp(helpers, "makeError");
    this.keysFn = ctx.getProp(helpers, "keys");
  }

  dispose(): void {
    this.kindFn.dispose();
    this.makeErrorFn.dispose();
    this.keysFn.dispose();
  }

  toHost(handle: QuickJSHandle): HostValue {
    const ctx = this.ctx;
    switch (ctx.typeof(handle)) {
      case "undefined":
        return undefined;
      case "boolean":
        return ctx.dump(handle) as boolean;
      case "number":
        return ctx.getNumber(handle);
      case "string":
        return ctx.getString(handle);
      case "object":
        break;
      default:
        return new Opaque(ctx.typeof(handle));
    }
    const kindHandle = ctx.unwrapResult(ctx.callFunction(this.kindFn, ctx.undefined, handle));
    const kind = ctx.getString(kindHandle);
    kindHandle.dispose();
    if (kind === "null") return null;
    if (kind === "buffer") return this.bytes(handle);
    if (kind === "opaque") return new Opaque("object");
    if (kind === "array") {
      const lengthHandle = ctx.getProp(handle, "length");
      const length = ctx.getNumber(lengthHandle);
      lengthHandle.dispose();
      const out: HostValue[] = [];
      for (let i = 0; i < length; i++) {
        const item = ctx.getProp(handle, i);
        out.push(this.toHost(item));
        item.dispose();
      }
      return out;
    }
    // Keys are listed by Object.keys inside QuickJS: quickjs-emscripten's getOwnPropertyNames
    // leaks memory that counts against the runtime's limit, which a reused interpreter hits.
    const keysHandle = ctx.unwrapResult(ctx.callFunction(this.keysFn, ctx.undefined, handle));
    const out: { [key: string]: HostValue } = {};
    try {
      for (const key of this.toHost(keysHandle) as string[]) {
        const value = ctx.getProp(handle, key);
        out[key] = this.toHost(value);
        value.dispose();
      }
    } finally {
      keysHandle.dispose();
    }
    return out;
  }

  /** A copy of an ArrayBuffer's bytes. */
  bytes(handle: QuickJSHandle): Uint8Array {
    const view = this.ctx.getArrayBuffer(handle);
    try {
      return new Uint8Array(view.value);
    } finally {
      view.dispose();
    }
  }

  fromHost(value: HostValue): QuickJSHandle {
    const ctx = this.ctx;
    if (value === undefined) return ctx.undefined;
    if (value === null) return ctx.null;
    switch (typeof value) {
      case "boolean":
        return value ? ctx.true : ctx.false;
      case "number":
        return ctx.newNumber(value);
      case "string":
        return ctx.newString(value);
    }
    if (value instanceof ArrayBuffer) return ctx.newArrayBuffer(value);
    if (value instanceof Uint8Array) {
      // Exactly the view's bytes: a Node Buffer may be a window on a larger shared pool.
      return ctx.newArrayBuffer(
        value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength),
      );
    }
    if (value instanceof Opaque) return ctx.undefined;
    if (Array.isArray(value)) {
      const array = ctx.newArray();
      value.forEach((item, i) => {
        const handle = this.fromHost(item);
        ctx.setProp(array, i, handle);
        handle.dispose();
      });
      return array;
    }
    const object = ctx.newObject();
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      const handle = this.fromHost(item);
      ctx.setProp(object, key, handle);
      handle.dispose();
    }
    return object;
  }

  error(name: string, message: string): QuickJSHandle {
    const ctx = this.ctx;
    const args = [ctx.newString(name), ctx.newString(message)];
    const result = ctx.unwrapResult(ctx.callFunction(this.makeErrorFn, ctx.undefined, ...args));
    args.forEach((h) => h.dispose());
    return result;
  }

  /**
   * Whether QuickJS stores this number as an integer (tag JS_TAG_INT) rather than a float, which is
   * what CCF checks for a response's statusCode. The wasm32 build NaN-boxes values: a JSValue is
   * 8 bytes whose high word is the tag for non-float values, and JS_TAG_INT is 0.
   */
  isIntegerTagged(handle: QuickJSHandle): boolean {
    if (this.ctx.typeof(handle) !== "number") return false;
    const view = new DataView(this.wasm.getWasmMemory().buffer);
    const pointer = handle.value as unknown as number;
    return view.getInt32(pointer + 4, true) === 0;
  }
}
