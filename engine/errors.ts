/**
 * The one error helper of the engine. Bad input is an error thrown before any solving, with a
 * message that names the field; numerical outcomes are a status on the result, never thrown.
 */
export type ErrorCode =
  | 'invalid-settings'
  | 'invalid-scenario'
  | 'invalid-argument'
  | 'io'
  | 'corrupt-data'
  | 'backend'
  /** A job's output folder is in use by another run (jobs/folder-lock.ts). */
  | 'locked';

export class DtmcError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'DtmcError';
  }
}

export function fail(code: ErrorCode, message: string): never {
  throw new DtmcError(code, message);
}
