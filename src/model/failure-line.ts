// The one line that says why a test failed (`Type: message`), found in a traceback for every consumer:
// the stats (`failures[].exception`), JUnit's failure message, failure grouping and the history store.
//
// Python prints a traceback as a header, indented frames (`  File "…", line n, in f` and their source lines),
// then the exception at column 0, whose message may run over more lines. The last line is therefore often
// not the exception: tempest's SSHTimeout ends with `User: cirros, Password: None`. So the exception line is
// the first unindented line after the last frame; a later line starting with `Details` (tempest's REST
// errors, testtools' mismatches) is kept with it. Text that is not a Python traceback falls back to the
// original's rule: the last line, or the last two when the last mentions `Details`.

const FRAME = /^\s+File "/;
const DETAILS = /^Details\b/;

/** Lines of a traceback, without the trailing blank ones; `\r\n` and `\r` count as line ends. */
function linesOf(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  while (lines.length > 0 && (lines[lines.length - 1] as string).trim() === '') lines.pop();
  return lines;
}

/**
 * The exception line of a traceback (`Type: message`), followed by `\n` and its `Details` line when there is
 * one; null for a missing or blank traceback.
 */
export function exceptionLine(traceback: string | null | undefined): string | null {
  if (traceback == null) return null;
  const lines = linesOf(traceback);
  if (lines.length === 0) return null;
  let lastFrame = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (FRAME.test(lines[i] as string)) {
      lastFrame = i;
      break;
    }
  }
  if (lastFrame >= 0) {
    for (let i = lastFrame + 1; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line.trim() === '' || /^\s/.test(line)) continue; // the frame's source line, carets
      const details = lines.slice(i + 1).find((l) => DETAILS.test(l.trim()));
      return details === undefined ? line.trim() : `${line.trim()}\n${details.trim()}`;
    }
  }
  const last = (lines[lines.length - 1] as string).trim();
  const previous = lines.length >= 2 ? (lines[lines.length - 2] as string).trim() : '';
  return last.includes('Details') && previous !== '' ? `${previous}\n${last}` : last;
}
