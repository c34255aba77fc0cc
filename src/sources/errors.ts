// Mistakes a user makes with inputs (missing, unreadable, wrong kind, corrupt gzip): one typed error, one line.

/** A problem with an input the user named; its message is one line naming the file and the problem. */
export class InputError extends Error {
  /** The path as the user gave it ('stdin' for standard input). */
  readonly path: string;
  /** The problem alone, e.g. `no such file`. */
  readonly problem: string;

  constructor(path: string, problem: string, message?: string) {
    super(message ?? `cannot read '${path}': ${problem}`);
    this.name = 'InputError';
    this.path = path;
    this.problem = problem;
  }
}

/**
 * An input that broke off after some of its bytes had been read (a gzip stream corrupt or cut short after
 * `bytesRead` inflated bytes): what was read is still a run, with this damage recorded.
 */
export class DamagedInputError extends InputError {
  constructor(
    path: string,
    problem: string,
    readonly bytesRead: number,
  ) {
    super(path, problem, `'${path}': ${problem} after ${bytesRead} bytes`);
    this.name = 'DamagedInputError';
  }
}

/** A file-system error code in plain words (no errno noise, no stack). */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENAMETOOLONG':
      return 'name too long';
    case 'EIO':
      return 'input/output error';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EROFS':
      return 'read-only file system';
    case 'EFBIG':
      return 'file too large';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return code ?? (e instanceof Error ? e.message : String(e));
  }
}
