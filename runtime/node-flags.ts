// The Node flags the runtime process runs with (`cleanroom runtime start`, docker-compose.yml,
// bench/run.ts). Performance only: they change when V8 collects garbage, never what a run does,
// so the measured configuration leaves them out (this file, like all of runtime/, is measured).
//
// A run decrypts its inputs into short-lived buffers whose bytes live outside V8's heap, about
// twice the input's size. V8 (Node 20) counts such bytes allocated since its last full collection
// as old-generation bytes until it collects them, and collects them in young-generation
// collections, one per 32 MiB; after each it starts a full collection if the old generation is
// within a young generation's capacity (16 MiB) of its limit. A full collection with little growth
// (the memory reducer's after an idle spell, or any in a busy process) leaves that limit 4–12 MiB
// above a live heap of 10 MiB or more (the runtime's: ~20). From then on the buffers bring it
// within that distance before every young collection, and each brings a full one that frees
// nothing: ~30 per 500 MB input, decrypting it in 1.0–1.3 s instead of 0.2 s
// (test/runtime/node-flags.test.ts, docs/benchmarks.md). The flag is also the floor V8 keeps that
// limit at: room for the buffers while the live heap stays below ~80 MiB. The limit is not a
// reservation: memory is committed only as the heap grows.
export const RUNTIME_NODE_FLAGS: readonly string[] = ["--initial-old-space-size=128"];
