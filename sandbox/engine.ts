/** The host side of the engine thread: starts it and exchanges requests and responses with it. */
import { Worker } from "node:worker_threads";
import { ENGINE_THREAD_STACK_MB } from "./quickjs/interpreter.js";
import type { EngineConfig, EngineToHost, HostToEngine } from "./enclave/protocol.js";
import type { HttpRequest, HttpResponse } from "./http/messages.js";
import type { GovernanceAction } from "./types.js";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Pending = { resolve: (value: EngineToHost) => void; reject: (error: Error) => void };

export class Engine {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped = false;

  private constructor(private readonly worker: Worker) {}

  static start(config: EngineConfig, log: (line: string) => void): Promise<Engine> {
    const worker = new Worker(new URL("./enclave/worker.js", import.meta.url), {
      workerData: config,
      resourceLimits: { stackSizeMb: ENGINE_THREAD_STACK_MB },
    });
    const engine = new Engine(worker);
    return new Promise((resolve, reject) => {
      worker.on("message", (message: EngineToHost) => {
        switch (message.type) {
          case "ready":
            resolve(engine);
            return;
          case "failed":
            void worker.terminate();
            reject(
              Object.assign(new Error(`The sandbox engine failed to start: ${message.message}`), {
                code: message.code,
              }),
            );
            return;
          case "log":
            log(message.line);
            return;
          default: {
            const pending = engine.pending.get(message.id);
            engine.pending.delete(message.id);
            pending?.resolve(message);
          }
        }
      });
      worker.on("error", (error) => {
        engine.failAll(error);
        reject(error);
      });
      worker.on("exit", (code) => {
        const error = new Error(`The sandbox engine stopped (exit code ${code})`);
        engine.failAll(error);
        reject(error);
      });
    });
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  private call(
    message: DistributiveOmit<HostToEngine, "id">,
    transfer: ArrayBuffer[] = [],
  ): Promise<EngineToHost> {
    if (this.stopped) return Promise.reject(new Error("The sandbox engine has stopped"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    const body = request.body;
    const transfer =
      body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
        ? [body.buffer as ArrayBuffer]
        : [];
    const reply = await this.call({ type: "request", request }, transfer);
    if (reply.type !== "response") throw new Error(`Unexpected engine reply ${reply.type}`);
    return reply.response;
  }

  /** Passes `actions` as one proposal signed by the first member, with the others' ballots. */
  async applyActions(actions: GovernanceAction[]): Promise<void> {
    const reply = await this.call({ type: "actions", actions });
    if (reply.type !== "actions-done") throw new Error(`Unexpected engine reply ${reply.type}`);
    if (reply.error) {
      throw Object.assign(new Error(`${reply.error.code}: ${reply.error.message}`), {
        code: reply.error.code,
      });
    }
  }

  /** Waits until every transaction is on disk, then ends the engine thread. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    // A failed engine cannot drain: termination is all that is left.
    await this.call({ type: "stop" }).catch(() => undefined);
    this.stopped = true;
    await this.worker.terminate();
  }
}
