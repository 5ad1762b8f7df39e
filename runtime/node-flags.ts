// The Node flags the runtime process runs with (`cleanroom runtime start`, docker-compose.yml,
// bench/run.ts). Performance only: they change when V8 collects garbage, never what a run does,
// so the measured configuration leaves them out (this file, like all of runtime/, is measured).
//
// A run decrypts its inputs into short-lived buffers, about twice the input's size in allocations.
// In a process with a live heap above ~10 MB (any real runtime: clients, DuckDB bindings, the
// governance client) V8 answered that churn with a full mark-compact every few MB decrypted —
// ~230 per GiB instead of 4 — and decryption ran 2–4× slower (docs/benchmarks.md, "Clean-room
// run"). Starting the old generation's limit at 128 MiB instead of near the heap's size at start
// leaves those buffers to the young generation's collector. The limit is not a reservation:
// memory is committed only as the heap grows.
export const RUNTIME_NODE_FLAGS: readonly string[] = ["--initial-old-space-size=128"];
