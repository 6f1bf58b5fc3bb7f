/**
 * The package's version, read from package.json beside the compiled tree
 * (dist/cli/package-info.js -> ../../package.json).
 */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const version = (pkg as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
