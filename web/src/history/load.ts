// A run's history, read once per run (the pages that show it share one parse).
import { loadHistoryJson, LoadError } from '../data/loader';
import type { RunModel } from '../model/types';
import { HistoryFormatError, parseHistoryFile, type RunHistory } from './run-history';

const cache = new Map<RunModel['key'], Promise<RunHistory | null>>();

/** The run's history, or null when it was exported without `--history`; a broken file rejects (LoadError). */
export function runHistory(run: RunModel): Promise<RunHistory | null> {
  let p = cache.get(run.key);
  if (p === undefined) {
    const json = loadHistoryJson(run);
    p =
      json === null
        ? Promise.resolve(null)
        : json.then((doc) => {
            try {
              return parseHistoryFile(doc);
            } catch (e) {
              const path = run.config?.history ?? 'history';
              if (e instanceof HistoryFormatError)
                throw new LoadError(`${path}: ${e.message}`, 'malformed', path);
              throw e;
            }
          });
    cache.set(run.key, p);
  }
  return p;
}
