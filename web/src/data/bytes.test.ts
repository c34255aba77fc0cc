// Gzip sniffing and base64: a file is inflated when its bytes say gzip, whatever its name or the server said.
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { bytesToText, decodeBase64, gunzip, isGzip, maybeGunzip } from './bytes';

describe('bytes', () => {
  it('sniffs the gzip magic', () => {
    expect(isGzip(gzipSync(Buffer.from('x')))).toBe(true);
    expect(isGzip(new TextEncoder().encode('{"a":1}'))).toBe(false);
    expect(isGzip(new Uint8Array([0x1f]))).toBe(false);
  });

  it('inflates gzip and leaves plain bytes alone', async () => {
    const text = JSON.stringify({ name: 'é ✓', n: [1, 2, 3] }).repeat(1000);
    const gz = new Uint8Array(gzipSync(Buffer.from(text)));
    expect(bytesToText(await maybeGunzip(gz))).toBe(text);
    const plain = new TextEncoder().encode(text);
    expect(await maybeGunzip(plain)).toBe(plain);
  });

  it('rejects damaged gzip', async () => {
    const gz = new Uint8Array(gzipSync(Buffer.from('hello world'.repeat(100))));
    await expect(gunzip(gz.subarray(0, gz.length - 12))).rejects.toThrow();
  });

  it('decodes base64 like Node does, whitespace and all', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const b64 = Buffer.from(bytes).toString('base64');
        const wrapped = b64.replace(/(.{76})/g, '$1\n');
        expect(Buffer.from(decodeBase64(wrapped))).toEqual(Buffer.from(bytes));
      }),
    );
  });
});
