// Subunit v2 packet encoder: builds packets for the decoder's tests and for the benchmark's stream generator.
import { crc32 } from 'node:zlib';
import { Buffer } from 'node:buffer';
import type { TestStatus } from './events.js';

export interface PacketFields {
  testId?: string;
  routeCode?: string;
  status?: TestStatus;
  timestamp?: { seconds: number; nanos: number };
  /** Written whenever given, even empty (an empty set is a real "tags replaced by nothing" event). */
  tags?: readonly string[];
  runnable?: boolean;
  mimeType?: string;
  fileName?: string;
  /** Content of the file packet; only written with `fileName` (empty when omitted). */
  fileBytes?: Uint8Array;
  eof?: boolean;
}

/** The largest whole packet the 3-byte length field can describe. */
export const MAX_PACKET_LENGTH = 4 * 1024 * 1024 - 1;
/** The largest value a 4-byte variable-length number holds. */
export const MAX_VARINT = 0x3fffffff;

const CODE_BY_STATUS: ReadonlyMap<TestStatus, number> = new Map<TestStatus, number>([
  ['exists', 1],
  ['inprogress', 2],
  ['success', 3],
  ['uxsuccess', 4],
  ['skip', 5],
  ['fail', 6],
  ['xfail', 7],
]);

export const FLAG_TEST_ID = 0x0800;
export const FLAG_ROUTE_CODE = 0x0400;
export const FLAG_TIMESTAMP = 0x0200;
export const FLAG_RUNNABLE = 0x0100;
export const FLAG_TAGS = 0x0080;
export const FLAG_FILE_CONTENT = 0x0040;
export const FLAG_MIME_TYPE = 0x0020;
export const FLAG_EOF = 0x0010;
export const VERSION_2 = 0x2000;

/** Bytes a variable-length number takes. */
export function varintSize(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_VARINT) {
    throw new RangeError(`value out of range for a subunit number: ${value}`);
  }
  return value < 0x40 ? 1 : value < 0x4000 ? 2 : value < 0x400000 ? 3 : 4;
}

/** Write a variable-length number at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  const size = varintSize(value);
  if (size === 1) {
    buf[pos] = value;
  } else if (size === 2) {
    buf[pos] = 0x40 | (value >>> 8);
    buf[pos + 1] = value & 0xff;
  } else if (size === 3) {
    buf[pos] = 0x80 | (value >>> 16);
    buf[pos + 1] = (value >>> 8) & 0xff;
    buf[pos + 2] = value & 0xff;
  } else {
    buf[pos] = 0xc0 | (value >>> 24);
    buf[pos + 1] = (value >>> 16) & 0xff;
    buf[pos + 2] = (value >>> 8) & 0xff;
    buf[pos + 3] = value & 0xff;
  }
  return pos + size;
}

/** Encode one variable-length number on its own (tests build damaged packets from pieces). */
export function encodeVarint(value: number): Uint8Array {
  const out = new Uint8Array(varintSize(value));
  writeVarint(out, 0, value);
  return out;
}

/**
 * Encode one packet. The length field takes the fewest bytes that fit, as python-subunit does;
 * throws RangeError when the packet would exceed 4 MiB - 1 bytes.
 */
export function encodePacket(f: PacketFields): Uint8Array {
  let flags = VERSION_2;
  // Pre-encode the strings once so their byte lengths are known before allocating.
  const testId = f.testId === undefined ? null : Buffer.from(f.testId, 'utf8');
  const routeCode = f.routeCode === undefined ? null : Buffer.from(f.routeCode, 'utf8');
  const mime = f.mimeType === undefined ? null : Buffer.from(f.mimeType, 'utf8');
  const fileName = f.fileName === undefined ? null : Buffer.from(f.fileName, 'utf8');
  const tags = f.tags === undefined ? null : f.tags.map((t) => Buffer.from(t, 'utf8'));
  const fileBytes = fileName === null ? null : (f.fileBytes ?? new Uint8Array(0));

  let body = 0;
  if (f.timestamp !== undefined) {
    flags |= FLAG_TIMESTAMP;
    body += 4 + varintSize(f.timestamp.nanos);
  }
  if (testId !== null) {
    flags |= FLAG_TEST_ID;
    body += varintSize(testId.length) + testId.length;
  }
  if (tags !== null) {
    flags |= FLAG_TAGS;
    body += varintSize(tags.length);
    for (const t of tags) body += varintSize(t.length) + t.length;
  }
  if (f.runnable === true) flags |= FLAG_RUNNABLE;
  if (mime !== null) {
    flags |= FLAG_MIME_TYPE;
    body += varintSize(mime.length) + mime.length;
  }
  if (fileName !== null && fileBytes !== null) {
    flags |= FLAG_FILE_CONTENT;
    body += varintSize(fileName.length) + fileName.length + varintSize(fileBytes.length) + fileBytes.length;
  }
  if (f.eof === true) flags |= FLAG_EOF;
  if (routeCode !== null) {
    flags |= FLAG_ROUTE_CODE;
    body += varintSize(routeCode.length) + routeCode.length;
  }
  if (f.status !== undefined) {
    const code = CODE_BY_STATUS.get(f.status);
    if (code === undefined) throw new RangeError(`unknown status ${String(f.status)}`);
    flags |= code;
  }

  // signature + flags + body + CRC, then the length field itself (1-3 bytes), as python-subunit sizes it.
  const base = 1 + 2 + body + 4;
  const lengthSize = base <= 62 ? 1 : base <= 16381 ? 2 : base <= 4194300 ? 3 : 0;
  if (lengthSize === 0) throw new RangeError(`packet too long: ${base + 3} bytes (max ${MAX_PACKET_LENGTH})`);
  const length = base + lengthSize;

  const out = Buffer.allocUnsafe(length);
  out[0] = 0xb3;
  out[1] = flags >>> 8;
  out[2] = flags & 0xff;
  let pos = writeVarint(out, 3, length);
  if (f.timestamp !== undefined) {
    out.writeUInt32BE(f.timestamp.seconds >>> 0, pos);
    pos = writeVarint(out, pos + 4, f.timestamp.nanos);
  }
  const putString = (s: Uint8Array): void => {
    pos = writeVarint(out, pos, s.length);
    out.set(s, pos);
    pos += s.length;
  };
  if (testId !== null) putString(testId);
  if (tags !== null) {
    pos = writeVarint(out, pos, tags.length);
    for (const t of tags) putString(t);
  }
  if (mime !== null) putString(mime);
  if (fileName !== null && fileBytes !== null) {
    putString(fileName);
    putString(fileBytes);
  }
  if (routeCode !== null) putString(routeCode);
  out.writeUInt32BE(crc32(out.subarray(0, pos)) >>> 0, pos);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/**
 * Append a correct CRC to raw packet bytes (signature through the last field); tests use it to build
 * packets whose fields lie but whose checksum is right, the damage only a buggy producer makes.
 */
export function withCrc(packetWithoutCrc: Uint8Array): Uint8Array {
  const out = new Uint8Array(packetWithoutCrc.length + 4);
  out.set(packetWithoutCrc, 0);
  new DataView(out.buffer).setUint32(packetWithoutCrc.length, crc32(packetWithoutCrc) >>> 0);
  return out;
}
