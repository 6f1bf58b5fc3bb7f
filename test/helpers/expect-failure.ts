/** The one assertion for "this call fails with that DtmcError": code and message checked. */
import * as assert from 'uvu/assert';
import { DtmcError, type ErrorCode } from '../../engine/errors.js';

/** Runs `fn`, which must throw a DtmcError with `code` and a message matching `pattern`. */
export function expectFailure(fn: () => unknown, code: ErrorCode, pattern: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof DtmcError)) assert.unreachable(`expected a DtmcError, got ${String(error)}`);
  const e = error as DtmcError;
  assert.is(e.code, code, `code of "${e.message}"`);
  assert.match(e.message, pattern);
}
