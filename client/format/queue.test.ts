import assert from "node:assert/strict";
import { ByteQueue } from "./queue.js";

describe("format byte queue", () => {
  it("takes exact byte counts across pushed pieces, in order", () => {
    const queue = new ByteQueue();
    const all = Buffer.from(Array.from({ length: 200 }, (_, i) => i));
    for (let at = 0, n = 1; at < all.length; at += n, n = (n % 13) + 1) {
      queue.push(all.subarray(at, at + n));
    }
    queue.push(Buffer.alloc(0));
    assert.equal(queue.length, 200);
    assert.deepEqual(queue.peek(5), all.subarray(0, 5));
    const out: Buffer[] = [];
    for (const n of [0, 1, 7, 50, 100, 42]) out.push(Buffer.concat(queue.take(n)));
    assert.deepEqual(Buffer.concat(out), all);
    assert.equal(queue.length, 0);
    assert.throws(() => queue.take(1), RangeError);
  });

  it("stays correct over many pushes and takes", () => {
    const queue = new ByteQueue();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 500; round++) {
      for (let i = 0; i < 5; i++) queue.push(Buffer.from([next++ % 256, next++ % 256]));
      for (const byte of Buffer.concat(queue.take(9))) assert.equal(byte, expected++ % 256);
    }
    assert.equal(queue.length, 500);
  });
});
