// --junit FILE: JUnit XML (a testsuite per run in a testsuites root) for Jenkins, GitLab and GitHub, written
// test by test. A testsuite's counts come before its testcases, so each run's testcases go to a part file
// beside the target first and are copied in after the counts.
import type { ExportStatus, StatsFile } from '../contract/export-format.js';
import { exceptionLine } from '../model/failure-line.js';
import type { ExportedTest, ExportListener } from './listener.js';
import type { RunNaming } from './run-writer.js';
import { SideFile } from './side-file.js';

/**
 * Statuses JUnit reports as failures, as python-subunit's subunit2junitxml does (testtools maps inprogress and
 * unknown to addFailure, uxsuccess to addUnexpectedSuccess, which junitxml writes as a failure).
 */
const FAILURES: ReadonlySet<ExportStatus> = new Set(['fail', 'uxsuccess', 'inprogress', 'unknown']);

/**
 * Text XML 1.0 can hold: C0 controls other than tab, LF and CR are forbidden even as character references, so
 * they become their visible Control Pictures (U+2400 + code: ESC → ␛); lone surrogates, U+FFFE and U+FFFF
 * become U+FFFD.
 */
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- these are exactly the characters XML forbids
  /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function allowed(s: string): string {
  return s.replace(FORBIDDEN, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 ? String.fromCharCode(0x2400 + code) : '\ufffd';
  });
}

const TEXT_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
const ATTR_ENTITIES: Record<string, string> = {
  ...TEXT_ENTITIES,
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
};

/** Element text: `& < >` escaped, CR kept as a reference (parsers turn a raw CR into LF). */
export function xmlText(s: string): string {
  return allowed(s).replace(/[&<>\r]/g, (c) => TEXT_ENTITIES[c] as string);
}

/** An attribute value in double quotes: also `"`, and tab and line ends kept as references. */
export function xmlAttr(s: string): string {
  return allowed(s).replace(/[&<>"\t\n\r]/g, (c) => ATTR_ENTITIES[c] as string);
}

/** Seconds as JUnit writes them (subunit2junitxml: three decimals); negative or unknown is 0. */
const secs = (n: number | null): string => (n === null || !(n > 0) ? '0.000' : n.toFixed(3));

/** `a.b.Class.test_x` → classname `a.b.Class`, name `test_x`; a name without a dot has an empty classname. */
export function splitName(name: string): { classname: string; name: string } {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? { classname: '', name } : { classname: name.slice(0, dot), name: name.slice(dot + 1) };
}

/** The exception's type from its line (`ValueError: boom` → `ValueError`), or '' when it does not look like one. */
function exceptionType(line: string | null): string {
  const m = line === null ? null : /^([A-Za-z_][\w.]*)(?::|$)/.exec(line);
  return m === null ? '' : (m[1] as string);
}

/** One testcase element (with its newline), or '' for an entry JUnit leaves out (`exists`: only enumerated). */
export function testcaseXml(
  t: Pick<ExportedTest, 'name' | 'status' | 'duration' | 'traceback' | 'reason'>,
): string {
  if (t.status === 'exists') return '';
  const { classname, name } = splitName(t.name);
  const head = `<testcase classname="${xmlAttr(classname)}" name="${xmlAttr(name)}" time="${secs(t.duration)}"`;
  if (FAILURES.has(t.status)) {
    const line = exceptionLine(t.traceback);
    const message =
      line ??
      (t.status === 'fail' ? 'failed' : t.status === 'uxsuccess' ? 'unexpected success' : `test ${t.status}`);
    const type =
      exceptionType(line) || (t.status === 'uxsuccess' ? 'unittest.case._UnexpectedSuccess' : t.status);
    const body = t.traceback === null ? '' : xmlText(t.traceback);
    return `${head}>\n<failure message="${xmlAttr(message)}" type="${xmlAttr(type)}">${body}</failure>\n</testcase>\n`;
  }
  if (t.status === 'skip') {
    const reason = t.reason ?? '';
    return `${head}>\n<skipped message="${xmlAttr(reason)}">${xmlText(reason)}</skipped>\n</testcase>\n`;
  }
  return `${head}/>\n`;
}

interface Counts {
  tests: number;
  failures: number;
  skipped: number;
  time: number;
}

/**
 * The XML goes through two part files beside the target: the current run's testcases (its testsuite's counts
 * are known at its end), and the suites written so far (the root's totals are known at the very end).
 */
export class JunitFile implements ExportListener {
  /** The current run's testcases. */
  private part: SideFile | null = null;
  /** Every finished run's testsuite element. */
  private suites: SideFile | null = null;
  private run: RunNaming | null = null;
  private counts: Counts = { tests: 0, failures: 0, skipped: 0, time: 0 };
  private readonly total: Counts = { tests: 0, failures: 0, skipped: 0, time: 0 };

  private constructor(private readonly file: SideFile) {}

  static async open(path: string): Promise<JunitFile> {
    return new JunitFile(await SideFile.open(path, 'the JUnit XML'));
  }

  async beginRun(naming: RunNaming): Promise<void> {
    this.run = naming;
    this.counts = { tests: 0, failures: 0, skipped: 0, time: 0 };
    this.part = await SideFile.open(`${this.file.tmp}.run`, 'the JUnit XML');
  }

  test(t: ExportedTest): void {
    const xml = testcaseXml(t);
    if (xml === '') return;
    this.counts.tests++;
    if (FAILURES.has(t.status)) this.counts.failures++;
    else if (t.status === 'skip') this.counts.skipped++;
    (this.part as SideFile).write(xml);
  }

  get full(): boolean {
    return this.part?.full ?? false;
  }

  drained(): Promise<void> {
    return this.part?.drained() ?? Promise.resolve();
  }

  async endRun(stats: StatsFile): Promise<void> {
    const part = this.part as SideFile;
    this.part = null;
    await part.close();
    const c = this.counts;
    c.time = stats.makespan ?? 0;
    const suites = (this.suites ??= await SideFile.open(`${this.file.tmp}.suites`, 'the JUnit XML'));
    const title = this.run?.title ?? '';
    const timestamp =
      stats.start === null ? '' : ` timestamp="${xmlAttr(stats.start.replace(/\+00:00$/, ''))}"`;
    suites.write(
      `<testsuite name="${xmlAttr(title)}" tests="${c.tests}" failures="${c.failures}" errors="0" ` +
        `skipped="${c.skipped}" time="${secs(c.time)}"${timestamp}>\n`,
    );
    await suites.append(part.tmp);
    suites.write('</testsuite>\n');
    await part.abort(); // its bytes are copied: remove it
    this.total.tests += c.tests;
    this.total.failures += c.failures;
    this.total.skipped += c.skipped;
    this.total.time += c.time;
  }

  async finish(): Promise<void> {
    const t = this.total;
    this.file.write(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<testsuites tests="${t.tests}" failures="${t.failures}" errors="0" skipped="${t.skipped}" ` +
        `time="${secs(t.time)}">\n`,
    );
    if (this.suites !== null) {
      await this.suites.close();
      await this.file.append(this.suites.tmp);
      await this.suites.abort();
      this.suites = null;
    }
    this.file.write('</testsuites>\n');
    await this.file.close();
  }

  commit(): Promise<void> {
    return this.file.commit();
  }

  async abort(): Promise<void> {
    await Promise.allSettled([this.part?.abort(), this.suites?.abort(), this.file.abort()]);
  }
}
