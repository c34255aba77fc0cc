// The sources layer's public face: where streams come from and how input mistakes are reported.
export { DamagedInputError, describeFsError, InputError } from './errors.js';
export { fileSource, stdinSource } from './file.js';
export { isGzip, maybeGunzip } from './gzip.js';
export { openRepository, repositorySource, REPOSITORY_DIRS } from './repository.js';
export type { Repository, StoredRun } from './repository.js';
export type { Source, SourceRun } from './source.js';
export { READ_CHUNK } from './source.js';
export { checkStreamFile, validateInputs } from './validate.js';
export type { InputSpec } from './validate.js';
