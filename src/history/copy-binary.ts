// PostgreSQL's binary COPY format, for `COPY … FROM STDIN (FORMAT binary)`: a signature, then per row its number
// of fields and each field as a 32-bit length (-1 for null) and its bytes in network order. The server takes the
// values as they are, with no text to parse; here each row is a few stores into a buffer, with no string built.

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Bytes per chunk handed to the stream: the server works on one while the next is written. */
const CHUNK = 64 * 1024;
const TWO_32 = 2 ** 32;

/** A value that does not fit its column (the text format's server would refuse it too). */
export class CopyRangeError extends Error {}

/** Writes rows into chunks of ~CHUNK bytes; `take` hands over the chunks filled so far. */
export class BinaryCopy {
  private buf = Buffer.allocUnsafe(CHUNK);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  private off = 0;
  private readonly full: Buffer[] = [];

  constructor() {
    this.off = SIGNATURE.copy(this.buf, 0);
    this.view.setInt32(this.off, 0); // flags
    this.view.setInt32(this.off + 4, 0); // header extension length
    this.off += 8;
  }

  /** Room for `n` more bytes: the current chunk is handed over when it lacks them. */
  private room(n: number): void {
    if (this.off + n <= this.buf.length) return;
    this.full.push(this.buf.subarray(0, this.off));
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, n));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.off = 0;
  }

  /** Starts a row of `fields` fields. */
  row(fields: number): void {
    this.room(2);
    this.view.setInt16(this.off, fields);
    this.off += 2;
  }

  null(): void {
    this.room(4);
    this.view.setInt32(this.off, -1);
    this.off += 4;
  }

  int2(v: number): void {
    if ((v << 16) >> 16 !== v) throw new CopyRangeError(`value ${v} is out of range for type smallint`);
    this.room(6);
    this.view.setInt32(this.off, 2);
    this.view.setInt16(this.off + 4, v);
    this.off += 6;
  }

  int4(v: number | null): void {
    if (v === null) return this.null();
    if ((v | 0) !== v) throw new CopyRangeError(`value ${v} is out of range for type integer`);
    this.room(8);
    this.view.setInt32(this.off, 4);
    this.view.setInt32(this.off + 4, v);
    this.off += 8;
  }

  /** A bigint from a JS integer (exact up to 2^53, and every integer double up to 2^63). */
  int8(v: number | null): void {
    if (v === null) return this.null();
    if (!Number.isInteger(v) || Math.abs(v) >= 2 ** 63) {
      throw new CopyRangeError(`value ${v} is out of range for type bigint`);
    }
    this.room(12);
    this.view.setInt32(this.off, 8);
    this.view.setInt32(this.off + 4, Math.floor(v / TWO_32));
    this.view.setUint32(this.off + 8, v >>> 0);
    this.off += 12;
  }

  float8(v: number | null): void {
    if (v === null) return this.null();
    this.room(12);
    this.view.setInt32(this.off, 8);
    this.view.setFloat64(this.off + 4, v);
    this.off += 12;
  }

  /** Text as UTF-8 (well formed: the store's text codec leaves no lone surrogate, and no NUL). */
  text(v: string | null): void {
    if (v === null) return this.null();
    this.room(4 + 3 * v.length);
    const n = this.buf.write(v, this.off + 4, 'utf8');
    this.view.setInt32(this.off, n);
    this.off += 4 + n;
  }

  /** True when a chunk is full, to be taken. */
  get ready(): boolean {
    return this.full.length > 0;
  }

  /** The chunks filled so far; with `end`, the rest and the trailer too. */
  take(end = false): Buffer[] {
    if (end) {
      this.room(2);
      this.view.setInt16(this.off, -1);
      this.off += 2;
      this.full.push(this.buf.subarray(0, this.off));
      this.off = this.buf.length;
    }
    return this.full.splice(0);
  }
}
