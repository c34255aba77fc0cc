// Imported before `pg`, for its side effect. On load, pg asks whether it runs in a Cloudflare Worker: where no
// `navigator` global exists (Node 20; Node 21 and later define one), it builds a `Response` to find out, which
// loads Node's fetch implementation (undici): ~35 ms of every PostgreSQL command's start, a sixth of
// `stackviz history`'s time. Node 21's `navigator` (its user agent only) answers the question at once.
if (!('navigator' in globalThis)) {
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: `Node.js/${process.versions.node.split('.')[0] ?? ''}` },
    configurable: true,
    writable: true,
  });
}
