// --fail-on: the quality gate. Counts the failing entries as they are exported; the CLI exits 3 once the whole
// export is written when there are any.
import type { ExportedTest, ExportListener } from '../export/listener.js';

export type FailOn = 'failures' | 'new-failures';
export const FAIL_ON_CHOICES: readonly FailOn[] = ['failures', 'new-failures'];

/** Exit status of an export that was written whole but failed the gate. */
export const EXIT_GATE = 3;

export class FailureCount implements ExportListener {
  fail = 0;
  uxsuccess = 0;
  inprogress = 0;
  /** `subunit.parser` entries (damaged packets); counted here, not under `fail`. */
  parser = 0;

  beginRun(): void {}

  test(t: ExportedTest): void {
    if (t.parserError) this.parser++;
    else if (t.status === 'fail') this.fail++;
    else if (t.status === 'uxsuccess') this.uxsuccess++;
    else if (t.status === 'inprogress') this.inprogress++;
  }

  async endRun(): Promise<void> {}

  get total(): number {
    return this.fail + this.uxsuccess + this.inprogress + this.parser;
  }

  /** The one line that says why the gate failed. */
  message(): string {
    const n = this.total;
    const parts = [
      `${this.fail} fail`,
      `${this.uxsuccess} uxsuccess`,
      `${this.inprogress} inprogress`,
      `${this.parser} parser error${this.parser === 1 ? '' : 's'}`,
    ];
    return `${n} failure${n === 1 ? '' : 's'} (${parts.join(', ')}); exit ${EXIT_GATE} (--fail-on failures)`;
  }
}
