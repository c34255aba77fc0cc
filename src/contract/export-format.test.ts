import { describe, expect, it } from 'vitest';
import { workerOf } from './export-format.js';

describe('workerOf', () => {
  it('reads the worker number from a worker-N tag', () => {
    expect(workerOf(['smoke', 'worker-12'])).toBe(12);
  });
  it('is null without a worker tag, or with a malformed one', () => {
    expect(workerOf([])).toBeNull();
    expect(workerOf(['worker-', 'worker-x', 'aworker-1'])).toBeNull();
  });
});
