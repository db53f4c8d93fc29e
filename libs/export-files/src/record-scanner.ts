const QUOTE = 0x22;
const NEWLINE = 0x0a;

/**
 * Finds where records end in a stream of CSV or JSON Lines bytes, chunk after chunk. A record ends
 * at a newline; in CSV (`quoted`), not at one inside a quoted field (RFC 4180: a field's `""` is a
 * quote closed and opened again, so the state stays right). JSON Lines holds no raw newline.
 */
export class RecordScanner {
  private inQuotes = false;

  constructor(private readonly quoted: boolean) {}

  /**
   * Scans `chunk` from `from` until `limit` records have ended or the chunk is read.
   * `records`: how many ended; `end`: the index just past the last newline that ended one
   * (`from` when none did). What follows `end` is the start of the next record.
   */
  scan(chunk: Buffer, from: number, limit: number): { records: number; end: number } {
    let records = 0;
    let end = from;
    let at = from;
    // The next quote from `at`, found once and reused for every newline before it.
    let quote = this.quoted ? chunk.indexOf(QUOTE, at) : -1;
    while (at < chunk.length && records < limit) {
      if (this.inQuotes) {
        if (quote === -1) return { records, end };
        this.inQuotes = false;
        at = quote + 1;
        quote = chunk.indexOf(QUOTE, at);
        continue;
      }
      const newline = chunk.indexOf(NEWLINE, at);
      if (quote !== -1 && (newline === -1 || quote < newline)) {
        this.inQuotes = true;
        at = quote + 1;
        quote = chunk.indexOf(QUOTE, at);
        continue;
      }
      if (newline === -1) return { records, end };
      records += 1;
      at = newline + 1;
      end = at;
    }
    return { records, end };
  }
}
