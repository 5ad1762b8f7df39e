// The Node flags the runtime process runs with (`cleanroom runtime start`, docker-compose.yml,
// bench/run.ts). Performance only: they change when V8 collects garbage, never what a run does,
// so the measured configuration leaves them out (this file, like all of runtime/, is measured).
//
// A run decrypts its inputs into short-lived buffers, about twice the input's size in allocations.
// In the runtime's process (governance client, storage clients, DuckDB, its buffers) V8 answered
// that churn with full mark-compacts, ~230 per GiB instead of 4, and decryption ran 2–4× slower;
// the format's own share of the cause is fixed (client/format/queue.ts), but the process still
// read and decrypted the 10M benchmark's inputs in 1.3 s without this flag and 0.3 s with it
// (docs/benchmarks.md, "Clean-room run"). Starting the old generation's limit at 128 MiB instead
// of near the heap's size at start leaves those buffers to the young generation's collector. The
// limit is not a reservation: memory is committed only as the heap grows.
export const RUNTIME_NODE_FLAGS: readonly string[] = ["--initial-old-space-size=128"];
