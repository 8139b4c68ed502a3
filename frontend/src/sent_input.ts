// What a connection sent, kept so that the page's next connection to the same session can send again what the
// session did not take (`resume_input` in docs/protocol.md).

/** The input one connection sent: its client number in the session, how much in all, and the last of it. */
export interface SentInput {
  /** The connection's client number in the session (its `hello`'s `client`). */
  client: number;
  /** Bytes sent in all on it. */
  total: number;
  /** The last of them, oldest first: they end at `total`. */
  recent: Uint8Array<ArrayBuffer>[];
}

/** Counts the input sent on one connection, and keeps the last `keep` bytes of it (at least the last piece). */
export class SentLog {
  private total = 0;
  private recent: Uint8Array<ArrayBuffer>[] = [];
  private recentBytes = 0;

  constructor(private readonly keep: number) {}

  /** `bytes` went out. */
  record(bytes: Uint8Array<ArrayBuffer>): void {
    this.total += bytes.length;
    this.recent.push(bytes);
    this.recentBytes += bytes.length;
    while (this.recentBytes > this.keep && this.recent.length > 1) {
      this.recentBytes -= this.recent.shift()?.length ?? 0;
    }
  }

  /** What went out, from client `client`; nothing when nothing did or the client number is not known. */
  sent(client: number | undefined): SentInput | undefined {
    if (client === undefined || this.total === 0) return undefined;
    return { client, total: this.total, recent: this.recent };
  }
}

/**
 * What of `sent` follows its first `taken` bytes (what the session took), and how many bytes of that are missing
 * because they went before the ones kept.
 */
export function notTaken(sent: SentInput, taken: number): { rest: Uint8Array<ArrayBuffer>[]; lost: number } {
  const kept = sent.recent.reduce((sum, bytes) => sum + bytes.length, 0);
  // The bytes kept that the session took; fewer than none when some it did not take went before them.
  let skip = taken - (sent.total - kept);
  const lost = Math.max(-skip, 0);
  const rest = [];
  for (const bytes of sent.recent) {
    if (skip < bytes.length) rest.push(bytes.subarray(Math.max(skip, 0)));
    skip -= bytes.length;
  }
  return { rest, lost };
}
