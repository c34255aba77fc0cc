// v2 packet CRCs checked ahead of the decoder, on another thread. The exporter's main thread runs a CrcScanner
// over its input ring as the ring fills, and tells the worker's V2Reader (through CheckedOffsets) which
// packets need no CRC check of their own: the CRC is a tenth of the decoder's work, and the main thread has
// time to spare while the worker decodes.
//
// The scanner's framing is a guess made without the decoder's state (non-packet bytes, UTF-8 tracking,
// damage): it only ever vouches for "the bytes at stream offset s, read as a packet, have a good CRC". The
// decoder skips its own check only for a packet it reads at such an offset, which is then the same bytes;
// for any other packet it checks the CRC itself. A wrong guess costs time, never a different result.
import { crc32 } from 'node:zlib';

/** Stream offsets of packets whose CRC is known to be good. */
export interface CheckedPackets {
  /** True when the packet that starts at stream offset `offset` has a good CRC; asked in increasing order. */
  has(offset: number): boolean;
}

const SIGNATURE = 0xb3;
/**
 * Bytes of failed candidates (a 0xB3 in text, a damaged packet) the scanner may check beyond the bytes of good
 * packets it found, per run: past that it stops, so a v1 stream or random bytes cost it little.
 */
const WASTE_ALLOWANCE = 16 * 1024 * 1024;

/**
 * The packet length a v2 header's length field (bytes 3..5 of the packet) claims, or -1 for one that no
 * packet with a CRC can have: a 4-byte field, or shorter than the signature, flags, length field and CRC.
 */
export function claimedLength(b3: number, b4: number, b5: number): number {
  const kind = b3 & 0xc0;
  if (kind === 0x00) return (b3 & 0x3f) >= 8 ? b3 & 0x3f : -1;
  if (kind === 0x40) {
    const n = ((b3 & 0x3f) << 8) | b4;
    return n >= 9 ? n : -1;
  }
  if (kind === 0x80) {
    const n = ((b3 & 0x3f) << 16) | (b4 << 8) | b5;
    return n >= 10 ? n : -1;
  }
  return -1;
}

/**
 * Finds packets with good CRCs in a ring of bytes that fills in order. Positions are absolute (bytes
 * written to the ring since it was made); the ring holds the last `ring.length` of them.
 */
export class CrcScanner {
  private readonly ring: Uint8Array;
  /** Where the run began (reported offsets count from there). */
  private readonly start: number;
  /** The next candidate packet start, or where to look for one. */
  private next: number;
  private good = 0;
  private wasted = 0;

  constructor(ring: Uint8Array, start: number) {
    this.ring = ring;
    this.start = start;
    this.next = start;
  }

  /**
   * The ring now holds the run's bytes up to `end`: returns the run offsets of the packets found whole and
   * good since the last call (null when none).
   */
  scan(end: number): Float64Array | null {
    const ring = this.ring;
    const size = ring.length;
    const found: number[] = [];
    let next = this.next;
    // A candidate whose bytes the ring no longer holds (the decoder had moved past it) is given up.
    if (next < end - size) next = this.find(end - size, end);
    while (next + 6 <= end) {
      const p = next % size;
      if (ring[p] !== SIGNATURE || ((ring[(next + 1) % size] as number) & 0xf0) !== 0x20) {
        next = this.find(next + 1, end);
        continue;
      }
      const length = claimedLength(
        ring[(next + 3) % size] as number,
        ring[(next + 4) % size] as number,
        ring[(next + 5) % size] as number,
      );
      if (length < 0) {
        next = this.find(next + 1, end);
        continue;
      }
      if (next + length > end) break;
      if (this.wasted > this.good + WASTE_ALLOWANCE) {
        next = Infinity;
        break;
      }
      if (this.crcGood(next, length)) {
        found.push(next - this.start);
        this.good += length;
        next += length;
      } else {
        this.wasted += length;
        next = this.find(next + 1, end);
      }
    }
    this.next = next;
    return found.length === 0 ? null : Float64Array.from(found);
  }

  /** The first position in [from, end) holding the signature byte, or `end`. */
  private find(from: number, end: number): number {
    const size = this.ring.length;
    for (let at = from; at < end;) {
      const p = at % size;
      const n = Math.min(end - at, size - p);
      const k = this.ring.subarray(p, p + n).indexOf(SIGNATURE);
      if (k >= 0) return at + k;
      at += n;
    }
    return end;
  }

  /** Whether the `length` bytes at `at` end in the CRC-32 of the rest (read across the ring's end if need be). */
  private crcGood(at: number, length: number): boolean {
    const ring = this.ring;
    const size = ring.length;
    const crcAt = at + length - 4;
    const p = at % size;
    const q = crcAt % size;
    const crc =
      q > p ? crc32(ring.subarray(p, q)) : crc32(ring.subarray(0, q), crc32(ring.subarray(p, size)));
    let stored = 0;
    for (let k = 0; k < 4; k++) stored = stored * 256 + (ring[(crcAt + k) % size] as number);
    return crc >>> 0 === stored;
  }
}

/** The offsets a CrcScanner found, as they arrive in batches, asked for in order (CheckedPackets). */
export class CheckedOffsets implements CheckedPackets {
  private readonly batches: Float64Array[] = [];
  private first = 0;
  private i = 0;

  add(offsets: Float64Array): void {
    this.batches.push(offsets);
  }

  has(offset: number): boolean {
    const batches = this.batches;
    while (this.first < batches.length) {
      const b = batches[this.first] as Float64Array;
      while (this.i < b.length && (b[this.i] as number) < offset) this.i++;
      if (this.i < b.length) return b[this.i] === offset;
      // This batch is used up: let it go.
      batches[this.first++] = EMPTY;
      this.i = 0;
      if (this.first > 64) {
        batches.splice(0, this.first);
        this.first = 0;
      }
    }
    return false;
  }
}

const EMPTY = new Float64Array(0);
