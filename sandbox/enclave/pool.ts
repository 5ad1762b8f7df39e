/**
 * Interpreters for app requests. As on CCF, each request gets a fresh interpreter unless its
 * endpoint names an `interpreter_reuse` key; interpreters of a key are cached (at most
 * `max_cached_interpreters`, least recently used evicted) and flushed when the app changes.
 */
import type { QuickJSWASMModule } from "quickjs-emscripten-core";
import {
  Interpreter,
  type ModuleSource,
  type NodeServices,
  type RuntimeLimits,
} from "../quickjs/interpreter.js";

export class InterpreterPool {
  private readonly cached = new Map<string, Interpreter>();

  constructor(
    private readonly wasm: QuickJSWASMModule,
    private readonly modules: ModuleSource,
    private readonly services: NodeServices,
  ) {}

  acquire(reuseKey: string | undefined, limits: RuntimeLimits): Interpreter {
    if (reuseKey !== undefined) {
      const interpreter = this.cached.get(reuseKey);
      if (interpreter) {
        this.cached.delete(reuseKey);
        if (sameLimits(interpreter.limits, limits)) return interpreter;
        interpreter.dispose();
      }
    }
    return new Interpreter(this.wasm, this.modules, this.services, limits);
  }

  release(interpreter: Interpreter, reuseKey: string | undefined, maxCached: number): void {
    if (reuseKey === undefined || interpreter.poisoned || maxCached <= 0) {
      interpreter.dispose();
      return;
    }
    this.cached.set(reuseKey, interpreter);
    while (this.cached.size > maxCached) {
      const [oldestKey, oldest] = this.cached.entries().next().value as [string, Interpreter];
      this.cached.delete(oldestKey);
      oldest.dispose();
    }
  }

  flush(): void {
    for (const interpreter of this.cached.values()) interpreter.dispose();
    this.cached.clear();
  }
}

function sameLimits(a: RuntimeLimits, b: RuntimeLimits): boolean {
  return (
    a.maxHeapBytes === b.maxHeapBytes &&
    a.maxStackBytes === b.maxStackBytes &&
    a.maxExecutionTimeMs === b.maxExecutionTimeMs
  );
}
