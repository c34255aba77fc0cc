// Manual speed check of the v2 decoder and assembler (not a test): prints MB/s and packets/s on generated streams.
// Run: npx tsc -p test/reference/tsconfig.measure.json && node /tmp/measure-v2/test/reference/measure-v2.js [speed|memory]
import { performance } from 'node:perf_hooks';
import { V2Reader } from '../../src/formats/subunit/v2.js';
import { encodePacket } from '../../src/formats/subunit/v2-encode.js';
import { TestAssembler } from '../../src/model/assemble.js';

function build(packets: number, make: (k: number) => Uint8Array): { data: Uint8Array; count: number } {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let k = 0; k < packets; k++) {
    const p = make(k);
    parts.push(p);
    size += p.length;
  }
  return { data: new Uint8Array(Buffer.concat(parts, size)), count: packets };
}

function measure(label: string, data: Uint8Array, packets: number, assemble: boolean): void {
  const chunk = 64 * 1024;
  let best = Infinity;
  let events = 0;
  let tests = 0;
  for (let round = 0; round < 3; round++) {
    events = 0;
    tests = 0;
    const assembler = new TestAssembler({ onTest: () => tests++ });
    const sink = assemble ? assembler : { event: () => void events++ };
    const t0 = performance.now();
    const reader = new V2Reader(sink);
    for (let k = 0; k < data.length; k += chunk) reader.push(data.subarray(k, k + chunk));
    reader.end();
    assembler.finish();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  const mb = data.length / 1e6;
  console.log(
    `${label.padEnd(44)} ${mb.toFixed(0).padStart(5)} MB ${best.toFixed(3)} s ${(mb / best).toFixed(0).padStart(6)} MB/s ` +
      `${(packets / best / 1000).toFixed(0).padStart(6)}k packets/s${assemble ? ` ${tests} tests` : ` ${events} events`}`,
  );
}

const mode = process.argv[2] ?? 'speed';

if (mode === 'speed') {
  const payload = new Uint8Array(4 * 1024 * 1024 - 200).fill(0x61);
  const t0 = performance.now();
  const big = build(50, (k) =>
    encodePacket({ testId: `t${k}`, fileName: 'log', mimeType: 'text/plain', fileBytes: payload }),
  );
  const encodeSeconds = (performance.now() - t0) / 1000;
  console.log(`encoder: ${(big.data.length / 1e6 / encodeSeconds).toFixed(0)} MB/s on 4 MiB packets`);
  const line = new TextEncoder().encode(
    '2018-09-28 02:46:35,903 26441 INFO [tempest.lib.common.rest_client] Request\n',
  );
  let clock = 1_538_102_795;
  const small = build(2_000_000, (k) => {
    const id = `tempest.api.compute.servers.test_servers.ServersTestJSON.test_${k >> 2}[id-0000,smoke]`;
    const step = k & 3;
    clock += step === 0 ? 1 : 0;
    const timestamp = { seconds: clock, nanos: (k * 7919) % 1e9 };
    if (step === 0) return encodePacket({ testId: id, status: 'inprogress', timestamp, tags: ['worker-3'] });
    if (step === 3) return encodePacket({ testId: id, status: 'success', timestamp, tags: ['worker-3'] });
    return encodePacket({
      testId: id,
      fileName: "pythonlogging:''",
      mimeType: 'text/plain;charset=utf8',
      fileBytes: line,
      timestamp,
    });
  });
  measure('4 MiB attachment packets, decode only', big.data, big.count, false);
  measure('4 MiB attachment packets, decode + assemble', big.data, big.count, true);
  measure('small tempest-like packets, decode only', small.data, small.count, false);
  measure('small tempest-like packets, decode + assemble', small.data, small.count, true);
}

// `memory` mode, flat memory: 1 GB generated on the fly (never held), 400,000 tests with attachments, fed in 64 KiB chunks.
if (mode === 'memory') {
  const rssBefore = process.memoryUsage().rss;
  let tests = 0;
  let bytes = 0;
  const assembler = new TestAssembler({ onTest: () => tests++ });
  const reader = new V2Reader(assembler);
  const log = new Uint8Array(2400).fill(0x62);
  const pending: Uint8Array[] = [];
  let pendingSize = 0;
  const t1 = performance.now();
  for (let k = 0; k < 400_000; k++) {
    const id = `tempest.api.compute.servers.test_servers.ServersTestJSON.test_${k}[id-0000,smoke]`;
    const timestamp = { seconds: 1_538_102_795 + k, nanos: 0 };
    for (const p of [
      encodePacket({ testId: id, status: 'inprogress', timestamp, tags: ['worker-1'] }),
      encodePacket({ testId: id, fileName: "pythonlogging:''", fileBytes: log, mimeType: 'text/plain' }),
      encodePacket({ testId: id, status: 'success', timestamp, tags: ['worker-1'] }),
    ]) {
      pending.push(p);
      pendingSize += p.length;
    }
    if (pendingSize >= 65536) {
      const chunk = Buffer.concat(pending, pendingSize);
      pending.length = 0;
      pendingSize = 0;
      reader.push(chunk);
      bytes += chunk.length;
    }
  }
  reader.push(Buffer.concat(pending));
  reader.end();
  assembler.finish();
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(
    `streamed ${(bytes / 1e6).toFixed(0)} MB, ${tests} tests in ${((performance.now() - t1) / 1000).toFixed(1)} s ` +
      `(generation included): peak RSS ${(peak / 1e6).toFixed(0)} MB (start ${(rssBefore / 1e6).toFixed(0)} MB)`,
  );
}
