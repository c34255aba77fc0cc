// The dstat CSV reader: classic dstat and pcp-dstat logs → one DstatLog with UTC times and normalised series.
// Long on purpose: both producers' header rules, which share the row reader, read best side by side.
import { RowCells, splitCsvLine } from './csv.js';
import type { DstatSeriesName } from './series.js';
import { columnRole, RATE_SERIES, unitScale } from './series.js';
import type { MetadataDate } from './time.js';
import { LocalClock, parseMetadataDate, parseTimeCell, resolveZone } from './time.js';
import type { DstatColumn, DstatLog, DstatProducer } from './types.js';
import { DstatFormatError } from './types.js';

const CLASSIC_LINE = /^\s*"?Dstat ([^\s"]+) CSV output"?[\s,]*$/i;
const PCP_LINE = /^\s*"?pcp-dstat ([^\s"]+) CSV output"?[\s,]*$/i;

/** 'dstat' | 'pcp-dstat' from the first line, or null when it is neither. */
export function sniffDstat(firstLine: string): DstatProducer | null {
  return sniffLine(firstLine)?.producer ?? null;
}

function sniffLine(line: string): { producer: DstatProducer; version: string } | null {
  const l = line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
  if (l.length > 1000) return null;
  let m = PCP_LINE.exec(l);
  if (m !== null) return { producer: 'pcp-dstat', version: m[1] ?? '' };
  m = CLASSIC_LINE.exec(l);
  if (m !== null) return { producer: 'dstat', version: m[1] ?? '' };
  return null;
}

const EXPECTED_FIRST_LINE = '"Dstat <version> CSV output" or "pcp-dstat <version> CSV Output"';

/**
 * Check a `--dstat` file from its first bytes (decoded as text; a few KB are plenty): the producer and version,
 * or a one-line reason it is not a dstat CSV. It does not read the header rows: parseDstat reports those.
 */
export function checkDstatHeader(
  firstChunkText: string,
): { producer: DstatProducer; version: string } | { error: string } {
  const head = firstChunkText.slice(0, 4096);
  if (head.includes('\u0000'))
    return { error: `binary data, not a dstat CSV (expected ${EXPECTED_FIRST_LINE})` };
  const firstLine = firstNonEmptyLine(head);
  if (firstLine === null) return { error: `empty file, not a dstat CSV (expected ${EXPECTED_FIRST_LINE})` };
  const found = sniffLine(firstLine);
  if (found === null) {
    const shown = firstLine.length > 60 ? `${firstLine.slice(0, 60)}…` : firstLine;
    return {
      error: `not a dstat CSV: the first line is ${JSON.stringify(shown)}, expected ${EXPECTED_FIRST_LINE}`,
    };
  }
  return found;
}

function firstNonEmptyLine(text: string): string | null {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (pos < text.length) {
    let eol = text.slice(pos).search(/\r\n|\r|\n/);
    eol = eol < 0 ? text.length : pos + eol;
    const line = text.slice(pos, eol);
    if (line.trim().length > 0) return line;
    if (text.charCodeAt(eol) === 13 && text.charCodeAt(eol + 1) === 10) eol++;
    pos = eol + 1;
  }
  return null;
}

const METADATA_KEY = /^[A-Za-z][A-Za-z ]{0,30}:$/;

/** Collects warnings once per kind, with a count, so a 10,000-row log with a bad column gives one line. */
class Warnings {
  private readonly counts = new Map<string, number>();
  add(kind: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }
  list(): string[] {
    const out: string[] = [];
    for (const [kind, n] of this.counts) out.push(n > 1 ? `${kind} (${n} times)` : kind);
    return out;
  }
}

interface Mapping {
  series: DstatSeriesName;
  cols: number[];
  combine: 'one' | 'sum' | 'avg';
  scale: number;
  rate: boolean;
}

/** One header block: a file that dstat appended to has several (each with its own Host/Date lines). */
interface Section {
  date: MetadataDate | null;
  dateText: string | null;
  host: string | null;
  startRow: number;
  endRow: number;
  timeCol: number;
  epochCol: number;
  mappings: Mapping[];
  /** True when rowTime holds UTC ms from the epoch column, false when it holds local wall-clock ms. */
  epoch: boolean;
  /** Cells a data row must be split into: up to the last column the section reads. */
  cellsNeeded: number;
  /** Offset observed between the time and epoch columns of the same row, when both exist. */
  observedOffsetMin: number | null;
  clock: LocalClock | null;
}

const DAY_MS = 86_400_000;

/** Parse a whole log (a few MB at most: 10,000 rows must parse in < 100 ms in Chrome/Node). */
export function parseDstat(input: string, opts: { referenceUtcMs?: number } = {}): DstatLog {
  // Lone-CR line ends (a file passed through an old Mac tool): make them line feeds once, up front.
  const text = input.indexOf('\n') < 0 && input.indexOf('\r') >= 0 ? input.replace(/\r/g, '\n') : input;
  const ref = opts.referenceUtcMs;
  const reference = ref !== undefined && Number.isFinite(ref) ? ref : null;
  const warnings = new Warnings();
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;

  let producerInfo: { producer: DstatProducer; version: string } | null = null;
  let lineCount = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineCount++;
  const cap = lineCount;
  const rowTime = new Float64Array(cap);
  const seriesData = new Map<DstatSeriesName, Float64Array>();
  const columns: DstatColumn[] = [];
  const columnKeys = new Set<string>();
  const sections: Section[] = [];

  let rows = 0;
  let state: 'header' | 'data' = 'header';
  let current: Section | null = null;
  let pendingMeta: { date: MetadataDate | null; dateText: string | null; host: string | null } = {
    date: null,
    dateText: null,
    host: null,
  };
  let groupRow: string[] | null = null;
  let sawNonEmpty = false;
  /** Local wall-clock ms of the last row, the anchor for a later section that has no Date: of its own. */
  let lastLocalMs: number | null = null;
  const row = new RowCells();

  const startSection = (cells: string[]): Section => {
    if (current !== null) lastLocalMs = current.clock?.lastMs ?? lastLocalMs;
    const sec = openSection(cells, groupRow, pendingMeta, producerInfo?.producer ?? 'dstat', rows);
    sections.push(sec);
    for (const c of describeColumns(cells, groupRow)) {
      if (!columnKeys.has(c.key)) {
        columnKeys.add(c.key);
        columns.push(c);
      }
    }
    for (const m of sec.mappings) {
      if (!seriesData.has(m.series)) seriesData.set(m.series, new Float64Array(cap).fill(NaN));
    }
    return sec;
  };

  while (pos <= n) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = n;
    let line = text.slice(pos, eol);
    pos = eol + 1;
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (isBlank(line)) continue;

    if (!sawNonEmpty) {
      sawNonEmpty = true;
      producerInfo = sniffLine(line);
      if (producerInfo === null) {
        const shown = line.length > 60 ? `${line.slice(0, 60)}…` : line;
        throw new DstatFormatError(
          `not a dstat CSV: the first line is ${JSON.stringify(shown)}, expected ${EXPECTED_FIRST_LINE}`,
        );
      }
      continue;
    }
    // A second producer line: two logs concatenated; start over with a new header block.
    const c0 = line.charCodeAt(line.charCodeAt(0) === 34 ? 1 : 0);
    if ((c0 === 68 /* D */ || c0 === 112) /* p */ && line.length < 200 && sniffLine(line) !== null) {
      state = 'header';
      groupRow = null;
      pendingMeta = { date: null, dateText: null, host: null };
      continue;
    }

    // Data rows start with a digit (time or epoch): only other lines can be metadata or headers, so data
    // rows skip the string-per-cell split.
    const fastData = state === 'data' && current !== null && c0 >= 48 && c0 <= 57;
    let cells: string[] | null = null;
    if (!fastData) {
      cells = splitCsvLine(line);
      if (METADATA_KEY.test((cells[0] ?? '').trim())) {
        if (state === 'data') {
          // dstat appends to an existing file with a blank line and new Host/Cmdline/Date lines and headers.
          state = 'header';
          groupRow = null;
          pendingMeta = { date: null, dateText: null, host: null };
        }
        readMetadata(cells, pendingMeta);
        continue;
      }
      if (state === 'header') {
        // With `-T` the group row holds an `epoch` cell too: a candidate followed by another is the group row.
        if (isColumnRow(cells) && !nextLineIsColumnRow(text, pos)) {
          current = startSection(cells);
          state = 'data';
        } else {
          groupRow = cells;
        }
        continue;
      }
    }

    // A data row of the current section.
    const sec = current;
    if (sec === null) continue;
    row.load(line, sec.cellsNeeded);
    const t = rowTimeOf(sec, row, lastLocalMs ?? reference, warnings);
    if (Number.isNaN(t)) {
      const all = cells ?? splitCsvLine(line);
      if (isColumnRow(all)) {
        // Headers repeated without metadata: a new section with the last unreadable row as its group row.
        current = startSection(all);
        continue;
      }
      groupRow = all;
      warnings.add('rows without a readable time were skipped');
      continue;
    }
    const r = rows++;
    rowTime[r] = t;
    const bootRow = r === sec.startRow;
    for (const m of sec.mappings) {
      if (bootRow && m.rate) continue;
      const out = seriesData.get(m.series);
      if (out !== undefined) out[r] = combine(m, row);
    }
    sec.endRow = rows;
  }

  if (producerInfo === null)
    throw new DstatFormatError(`empty file, not a dstat CSV (expected ${EXPECTED_FIRST_LINE})`);
  if (sections.length === 0) {
    throw new DstatFormatError(
      'no column header row found: a dstat CSV needs a row naming its columns with a "time" or "epoch" column (dstat -t or -T)',
    );
  }

  const basis = resolveTimes(sections, rowTime, reference, warnings);
  const first = sections[0];
  let timeMs: Float64Array = rowTime.slice(0, rows);
  const series: Partial<Record<DstatSeriesName, Float64Array>> = {};
  for (const [name, data] of seriesData) series[name] = data.slice(0, rows);

  // Appended sections can go back in time (a later run appended to an old file): keep rows in time order,
  // which the viewer's binary searches rely on.
  let sorted = true;
  for (let i = 1; i < rows; i++) {
    if ((timeMs[i] ?? 0) < (timeMs[i - 1] ?? 0)) {
      sorted = false;
      break;
    }
  }
  if (!sorted) {
    warnings.add('rows were not in time order and were sorted');
    const order = Array.from({ length: rows }, (_, i) => i).sort(
      (a, b) => (timeMs[a] ?? 0) - (timeMs[b] ?? 0),
    );
    const reorder = (src: Float64Array): Float64Array => Float64Array.from(order, (i) => src[i] ?? NaN);
    timeMs = reorder(timeMs);
    for (const name of Object.keys(series) as DstatSeriesName[]) {
      const s = series[name];
      if (s !== undefined) series[name] = reorder(s);
    }
  }

  if (reference !== null && rows > 0) {
    const t0 = timeMs[0] ?? 0;
    const t1 = timeMs[rows - 1] ?? 0;
    if (reference < t0 - DAY_MS || reference > t1 + DAY_MS) {
      warnings.add(
        'the reference instant lies more than a day outside the dstat log: the times may be misaligned',
      );
    }
  }
  if (rows === 0) warnings.add('the log has headers but no data rows');

  return {
    producer: producerInfo.producer,
    version: producerInfo.version,
    host: first?.host ?? null,
    dateText: first?.dateText ?? null,
    timeMs,
    timeBasis: basis,
    series,
    columns,
    rows,
    warnings: warnings.list(),
  };
}

function readMetadata(
  cells: string[],
  meta: { date: MetadataDate | null; dateText: string | null; host: string | null },
): void {
  for (let i = 0; i + 1 < cells.length; i++) {
    const key = (cells[i] ?? '').trim();
    if (!key.endsWith(':')) continue;
    const value = (cells[i + 1] ?? '').trim();
    if (key === 'Host:') meta.host = value;
    else if (key === 'Date:') {
      meta.dateText = value;
      meta.date = parseMetadataDate(value);
    }
  }
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff) return false;
  }
  return true;
}

function nextLineIsColumnRow(text: string, from: number): boolean {
  let pos = from;
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = text.length;
    const line = text.slice(pos, eol);
    pos = eol + 1;
    if (line.trim().length > 0) return isColumnRow(splitCsvLine(line));
  }
  return false;
}

function isColumnRow(cells: string[]): boolean {
  for (const c of cells) {
    const t = c.trim();
    if (t === 'time' || t === 'epoch') return true;
  }
  return false;
}

/** Group names filled forward from the group row (its empty cells belong to the group on their left). */
function fillGroups(groupRow: string[] | null, width: number): string[] {
  const groups: string[] = [];
  let g = '';
  for (let i = 0; i < width; i++) {
    const cell = groupRow?.[i]?.trim() ?? '';
    if (cell.length > 0) g = cell;
    groups.push(g);
  }
  return groups;
}

function splitName(group: string, name: string): { instance: string; nick: string } {
  const colon = name.lastIndexOf(':');
  if (colon > 0) return { instance: name.slice(0, colon).trim(), nick: name.slice(colon + 1).trim() };
  return { instance: group, nick: name.trim() };
}

function describeColumns(cells: string[], groupRow: string[] | null): DstatColumn[] {
  const groups = fillGroups(groupRow, cells.length);
  return cells.map((raw, i) => {
    const name = raw.trim();
    const group = groups[i] ?? '';
    const { instance, nick } = splitName(group, name);
    const clean = (s: string): string => s.replace(/[\s/:]/g, '_');
    const key = instance.length > 0 ? `${clean(instance)}_${clean(nick)}` : clean(nick);
    return { group, name, key };
  });
}

function openSection(
  cells: string[],
  groupRow: string[] | null,
  meta: { date: MetadataDate | null; dateText: string | null; host: string | null },
  producer: DstatProducer,
  startRow: number,
): Section {
  const groups = fillGroups(groupRow, cells.length);
  let timeCol = -1;
  let epochCol = -1;
  const direct = new Map<DstatSeriesName, number>();
  const instances = new Map<DstatSeriesName, { cols: number[]; combine: 'sum' | 'avg' }>();
  for (let i = 0; i < cells.length; i++) {
    const { instance, nick } = splitName(groups[i] ?? '', cells[i] ?? '');
    const nickL = nick.toLowerCase();
    if (nickL === 'time' && timeCol < 0) timeCol = i;
    else if (nickL === 'epoch' && epochCol < 0) epochCol = i;
    const role = columnRole(instance.toLowerCase(), nickL);
    if (role === null) continue;
    if (role.kind === 'direct') {
      if (!direct.has(role.series)) direct.set(role.series, i);
    } else {
      const e = instances.get(role.series) ?? { cols: [], combine: role.combine };
      e.cols.push(i);
      instances.set(role.series, e);
    }
  }
  const mappings: Mapping[] = [];
  const add = (series: DstatSeriesName, cols: number[], combine: Mapping['combine']): void => {
    mappings.push({
      series,
      cols,
      combine,
      scale: unitScale(producer, series),
      rate: RATE_SERIES.has(series),
    });
  };
  for (const [series, col] of direct) add(series, [col], 'one');
  for (const [series, e] of instances) if (!direct.has(series)) add(series, e.cols, e.combine);
  let last = Math.max(timeCol, epochCol);
  for (const m of mappings) for (const c of m.cols) last = Math.max(last, c);
  return {
    cellsNeeded: last + 1,
    date: meta.date,
    dateText: meta.dateText,
    host: meta.host,
    startRow,
    endRow: startRow,
    timeCol,
    epochCol,
    mappings,
    epoch: epochCol >= 0,
    observedOffsetMin: null,
    clock: null,
  };
}

function combine(m: Mapping, row: RowCells): number {
  if (m.combine === 'one') return row.num(m.cols[0] ?? -1) * m.scale;
  let sum = 0;
  let count = 0;
  for (const c of m.cols) {
    const v = row.num(c);
    if (Number.isNaN(v)) continue;
    sum += v;
    count++;
  }
  if (count === 0) return NaN;
  return (m.combine === 'avg' ? sum / count : sum) * m.scale;
}

/** The row's time: UTC ms from the epoch column, else local wall-clock ms (made UTC once the offset is known). */
function rowTimeOf(sec: Section, row: RowCells, fallbackAnchor: number | null, warnings: Warnings): number {
  let local = NaN;
  if (sec.timeCol >= 0) {
    const cell = parseTimeCell(row.str(sec.timeCol));
    if (cell !== null) {
      if (sec.clock === null) {
        const anchor = sec.date?.localMs ?? fallbackAnchor ?? anchorFromNow(warnings);
        sec.clock = new LocalClock(anchor);
      }
      local = sec.clock.next(cell);
    }
  }
  if (sec.epoch) {
    const e = row.num(sec.epochCol);
    if (Number.isNaN(e)) return NaN;
    const utc = e * 1000;
    if (sec.observedOffsetMin === null && !Number.isNaN(local)) {
      sec.observedOffsetMin = Math.round((local - utc) / 60_000 / 15) * 15;
    }
    return utc;
  }
  return local;
}

function anchorFromNow(warnings: Warnings): number {
  warnings.add('no Date: metadata and no reference instant: the current year was assumed');
  return Date.now();
}

/** Pick each section's UTC offset, turn its local times into UTC, and describe the first section's basis. */
function resolveTimes(
  sections: Section[],
  rowTime: Float64Array,
  reference: number | null,
  warnings: Warnings,
): DstatLog['timeBasis'] {
  let basis: DstatLog['timeBasis'] | null = null;
  for (const sec of sections) {
    let b: DstatLog['timeBasis'];
    const zoneName = sec.date?.zone ?? null;
    if (sec.epoch) {
      let offset = sec.observedOffsetMin;
      if (offset === null && zoneName !== null) offset = resolveZone(zoneName).offsets[0] ?? 0;
      b = { source: 'epoch', utcOffsetMin: offset ?? 0, zone: zoneName, certain: true };
    } else if (sec.date !== null) {
      const guess = zoneName === null ? { offsets: [0], known: false } : resolveZone(zoneName);
      let offset = guess.offsets[0] ?? 0;
      let certain = guess.known && guess.offsets.length === 1;
      if (zoneName === null) warnings.add('the Date: metadata has no time zone: UTC was assumed');
      else if (!guess.known)
        warnings.add(`unknown time zone ${JSON.stringify(zoneName)} in the Date: metadata: UTC was assumed`);
      if (guess.offsets.length > 1) {
        const chosen = reference === null ? null : pickOffset(guess.offsets, sec, rowTime, reference);
        if (chosen !== null) {
          offset = chosen;
          certain = true;
        } else {
          warnings.add(
            `ambiguous time zone ${JSON.stringify(zoneName)}: UTC${formatOffset(offset)} was assumed`,
          );
        }
      }
      b = { source: 'metadata', utcOffsetMin: offset, zone: zoneName, certain };
    } else {
      if (reference !== null)
        warnings.add(
          'no usable Date: metadata: the year was taken from the reference instant and UTC assumed',
        );
      else if (sec.date === null && sec.dateText !== null)
        warnings.add('the Date: metadata could not be read');
      b = { source: 'reference', utcOffsetMin: 0, zone: null, certain: false };
    }
    if (!sec.epoch && b.utcOffsetMin !== 0) {
      const shift = b.utcOffsetMin * 60_000;
      for (let r = sec.startRow; r < sec.endRow; r++) rowTime[r] = (rowTime[r] ?? 0) - shift;
    }
    if (basis === null) basis = b;
    else if (basis.utcOffsetMin !== b.utcOffsetMin)
      warnings.add('sections of the log use different UTC offsets');
  }
  return basis ?? { source: 'reference', utcOffsetMin: 0, zone: null, certain: false };
}

/**
 * For an ambiguous zone name (CST is UTC-6 in Chicago and UTC+8 in Shanghai), the offset under which the
 * reference instant falls inside the section's span, or failing that nearest to it; null when two offsets
 * fit equally well.
 */
function pickOffset(
  offsets: number[],
  sec: Section,
  rowTime: Float64Array,
  reference: number,
): number | null {
  if (sec.endRow <= sec.startRow) return null;
  const first = rowTime[sec.startRow] ?? 0;
  const last = rowTime[sec.endRow - 1] ?? 0;
  let best: number | null = null;
  let bestD = Infinity;
  let tie = false;
  for (const o of offsets) {
    const t0 = first - o * 60_000;
    const t1 = last - o * 60_000;
    const d = reference < t0 ? t0 - reference : reference > t1 ? reference - t1 : 0;
    if (d < bestD) {
      best = o;
      bestD = d;
      tie = false;
    } else if (d === bestD) tie = true;
  }
  return tie ? null : best;
}

function formatOffset(min: number): string {
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
