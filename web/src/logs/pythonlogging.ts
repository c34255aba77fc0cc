// Parses a `pythonlogging` attachment into records: timestamp, pid, level, logger, message, continuation lines.

export const LOG_LEVELS = ['CRITICAL', 'ERROR', 'WARNING', 'INFO', 'DEBUG', 'TRACE', 'OTHER'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogRecord {
  /** Timestamp text as logged (`2018-09-28 02:46:35,903`); null for a format without one. */
  time: string | null;
  pid: string | null;
  /** OTHER: lines before the first record, or a level word we do not know. */
  level: LogLevel;
  /** The level word as written (`WARN`, `AUDIT`, ...), null when the record has none. */
  levelText: string | null;
  logger: string | null;
  /** First line's message. */
  message: string;
  /** Lines that followed it up to the next record (tracebacks, request bodies), kept with it. */
  continuation: string[];
  /** 1-based line number of the record's first line. */
  line: number;
}

const LEVEL_WORDS = 'CRITICAL|FATAL|ERROR|WARNING|WARN|AUDIT|INFO|DEBUG|TRACE|NOTSET';
// oslo/tempest: `2018-09-28 02:46:35,903 26441 INFO     [tempest.lib.common.rest_client] message`
// also without pid, with `.` or `T`, and with the logger unbracketed-less (`... INFO message`).
const TIMESTAMPED = new RegExp(
  `^(\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}:\\d{2}(?:[.,]\\d+)?)\\s+(?:(\\d+)\\s+)?(${LEVEL_WORDS})\\b\\s*(?:\\[([^\\]]*)\\]\\s?)?(.*)$`,
);
// Python's logging.basicConfig default: `INFO:root:message`.
const BASIC = new RegExp(`^(${LEVEL_WORDS}):([^:\\s]*):(.*)$`);

function normaliseLevel(word: string): LogLevel {
  switch (word) {
    case 'FATAL':
    case 'CRITICAL':
      return 'CRITICAL';
    case 'WARN':
    case 'WARNING':
      return 'WARNING';
    case 'AUDIT':
      return 'INFO';
    case 'ERROR':
    case 'INFO':
    case 'DEBUG':
    case 'TRACE':
      return word;
    default:
      return 'OTHER';
  }
}

export function parsePythonLogging(text: string): LogRecord[] {
  const records: LogRecord[] = [];
  let current: LogRecord | null = null;
  const lines = text.split(/\r?\n/);
  // A trailing newline is not an empty last line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    let m = TIMESTAMPED.exec(line);
    if (m) {
      const word = m[3] ?? '';
      current = {
        time: m[1] ?? null,
        pid: m[2] ?? null,
        level: normaliseLevel(word),
        levelText: word,
        logger: m[4] ?? null,
        message: m[5] ?? '',
        continuation: [],
        line: i + 1,
      };
      records.push(current);
      continue;
    }
    m = BASIC.exec(line);
    if (m) {
      const word = m[1] ?? '';
      current = {
        time: null,
        pid: null,
        level: normaliseLevel(word),
        levelText: word,
        logger: m[2] ?? null,
        message: m[3] ?? '',
        continuation: [],
        line: i + 1,
      };
      records.push(current);
      continue;
    }
    if (current) {
      current.continuation.push(line);
    } else {
      // Text before the first record: kept as a record of its own so nothing is hidden.
      current = {
        time: null,
        pid: null,
        level: 'OTHER',
        levelText: null,
        logger: null,
        message: line,
        continuation: [],
        line: i + 1,
      };
      records.push(current);
    }
  }
  return records;
}

export function countLevels(records: readonly LogRecord[]): Map<LogLevel, number> {
  const counts = new Map<LogLevel, number>(LOG_LEVELS.map((l) => [l, 0]));
  for (const r of records) counts.set(r.level, (counts.get(r.level) ?? 0) + 1);
  return counts;
}
