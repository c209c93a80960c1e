// One error class per kind of failure a user can meet. The CLI prints `message` as one line
// (no stack unless --debug) and exits with `exitCode`.

/** Base class: a failure memrec understands and can explain in one line. */
export class MemrecError extends Error {
  override readonly name: string = 'MemrecError';
  readonly exitCode: number = 1;
}

/** Bad flags, values or arguments on the command line. Exit 2. */
export class UsageError extends MemrecError {
  override readonly name = 'UsageError';
  override readonly exitCode = 2;
}

/** Bad input that is not a flag: a config file, a corrupt or too-new database, a malformed kernel file. Exit 2. */
export class InputError extends MemrecError {
  override readonly name = 'InputError';
  override readonly exitCode = 2;
}

/** A kernel or kubelet file that could not be parsed. Names the file and the line. */
export class ParseError extends MemrecError {
  override readonly name = 'ParseError';
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: string,
  ) {
    super(`${file}: ${detail}${line === undefined ? '' : `: ${JSON.stringify(line.length > 120 ? line.slice(0, 120) + '…' : line)}`}`);
  }
}

/** A memrec database whose pages or tables are damaged. Exit 1: the input is the right kind, its content is broken. */
export class DamagedDatabaseError extends MemrecError {
  override readonly name = 'DamagedDatabaseError';
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`database ${file} is damaged: ${detail}`);
  }
}

/** A write the store could not make: the disk is full, an I/O error. The recorder makes room and retries. */
export class StoreWriteError extends MemrecError {
  override readonly name = 'StoreWriteError';
  constructor(
    message: string,
    /** SQLite's code: SQLITE_FULL, SQLITE_IOERR_WRITE, ... */
    readonly code: string,
  ) {
    super(message);
  }
}

/** A value as an error message shows it: JSON-quoted, and cut when long, so that the message stays one readable line. */
export function quoted(value: string, max = 100): string {
  return value.length <= max ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, max))}… (${value.length} characters)`;
}
