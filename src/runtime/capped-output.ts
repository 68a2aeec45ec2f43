// Keeps a bounded view of a stream: the first half of the limit and the most
// recent half. A program that prints 1 GB costs `limit` bytes of memory, and
// its log shows how it started and how it ended.

export class CappedOutput {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(limit: number) {
    const safe = Math.max(1024, Math.floor(limit));
    this.headLimit = Math.floor(safe / 2);
    this.tailLimit = safe - this.headLimit;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headLimit) {
      const take = Math.min(this.headLimit - this.headBytes, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    // Drop whole chunks from the front, then trim the first one.
    while (this.tailBytes - (this.tail[0]?.length ?? 0) >= this.tailLimit && this.tail.length > 1) {
      this.tailBytes -= this.tail.shift()!.length;
    }
    if (this.tailBytes > this.tailLimit) {
      const first = this.tail[0]!;
      const cut = this.tailBytes - this.tailLimit;
      this.tail[0] = Buffer.from(first.subarray(cut));
      this.tailBytes -= cut;
    }
  }

  /** The view another process kept (the spawn server): its head, its tail and how many bytes it saw. */
  static fromParts(limit: number, head: Buffer, tail: Buffer, total: number): CappedOutput {
    const c = new CappedOutput(limit);
    c.head = head.length ? [head] : [];
    c.headBytes = head.length;
    c.tail = tail.length ? [tail] : [];
    c.tailBytes = tail.length;
    c.total = total;
    return c;
  }

  /** Bytes seen in all. */
  get totalBytes(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.total > this.headBytes + this.tailBytes;
  }

  toString(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    if (!this.truncated) return head + Buffer.concat(this.tail).toString('utf8');
    const omitted = this.total - this.headBytes - this.tailBytes;
    return `${head}\n[... matrix: ${omitted} bytes of output omitted (log limit) ...]\n${Buffer.concat(this.tail).toString('utf8')}`;
  }
}
