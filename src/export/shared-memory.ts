// The memory both threads of an export share: one WebAssembly memory holding the JSON escaper's own area
// (json-escape.wat), then the input ring, then the batch slots. The escaper then reads attachment bytes
// where the input ring holds them and writes their JSON straight into a batch slot, with no copy into or
// out of a memory of its own (that was ~0.1 s of the worker's CPU on the 207 MB benchmark stream).
// Kept tiny: worker-start.ts imports it, and it is loaded first.

/** Bytes of a WebAssembly page. */
export const PAGE = 64 * 1024;

/** Bytes at the start of an escaper's memory that are its own: tables and its copy areas. */
export const ESCAPER_BYTES = 8 * PAGE;

/** The part of WebAssembly.Memory used here (Node has it; this project's TS libs do not declare it). */
export interface SharedMemory {
  readonly buffer: SharedArrayBuffer;
}

/**
 * The part of the WebAssembly global the exporter uses (Node has it; this project's TS libs do not declare it):
 * the one declaration, for this file and json-bytes.ts.
 */
export const WebAssembly = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: new (d: { initial: number; maximum: number; shared: true }) => SharedMemory;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: { env: { memory: SharedMemory } }) => { exports: unknown };
    };
  }
).WebAssembly;

/** A shared memory of at least `bytes` (whole pages); it never grows, so its buffer stays the same object. */
export function sharedMemory(bytes: number): SharedMemory {
  const pages = Math.ceil(bytes / PAGE);
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}
