const EMPTY = Buffer.alloc(0);

/** A FIFO of byte slices: takes exact byte counts without concatenating (no copies). */
export class ByteQueue {
  private parts: Buffer[] = [];
  private head = 0;
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
      const first = this.parts[this.head]!;
      if (first.length <= need) {
        out.push(first);
        this.parts[this.head] = EMPTY; // release it: the array must not keep consumed input alive
        this.head++;
        need -= first.length;
      } else {
        out.push(first.subarray(0, need));
        this.parts[this.head] = first.subarray(need);
        need = 0;
      }
    }
    this.length -= n;
    if (
      this.head === this.parts.length ||
      (this.head >= 64 && this.head * 2 >= this.parts.length)
    ) {
      this.parts = this.parts.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Copies the first `n` bytes without removing them (n ≤ length). */
  peek(n: number): Buffer {
    const out = Buffer.alloc(Math.min(n, this.length));
    let at = 0;
    for (let i = this.head; i < this.parts.length && at < out.length; i++) {
      at += this.parts[i]!.copy(out, at, 0, Math.min(this.parts[i]!.length, out.length - at));
    }
    return out;
  }
}
