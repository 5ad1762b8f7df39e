/**
 * A FIFO of byte slices: takes exact byte counts without concatenating (no copies).
 *
 * Consumed pieces leave the array at once (`shift`). An earlier version kept a head index and
 * compacted the array every 64 pieces: that array outlived many collections, and in a process with
 * more than ~10 MB of live heap V8 then answered the stream's buffers with a full mark-compact every
 * few MB (~220 per GiB instead of 1) and decryption ran 2–3× slower (docs/benchmarks.md). The
 * queue holds a handful of pieces, so `shift` costs nothing here.
 */
export class ByteQueue {
  private readonly parts: Buffer[] = [];
  length = 0;

  push(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  /** Removes and returns the first `n` bytes as slices of the queued buffers. */
  take(n: number): Buffer[] {
    if (n > this.length) throw new RangeError(`cannot take ${n} of ${this.length} queued bytes`);
    const out: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const first = this.parts[0]!;
      if (first.length <= need) {
        out.push(first);
        this.parts.shift();
        need -= first.length;
      } else {
        out.push(first.subarray(0, need));
        this.parts[0] = first.subarray(need);
        need = 0;
      }
    }
    this.length -= n;
    return out;
  }

  /** Copies the first `n` bytes without removing them (n ≤ length). */
  peek(n: number): Buffer {
    const out = Buffer.alloc(Math.min(n, this.length));
    let at = 0;
    for (let i = 0; i < this.parts.length && at < out.length; i++) {
      at += this.parts[i]!.copy(out, at, 0, Math.min(this.parts[i]!.length, out.length - at));
    }
    return out;
  }
}
