import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root: tests run from dist/test/..., fixtures stay in test/fixtures. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');
export const memrecBin = path.join(repoRoot, 'dist', 'src', 'cli', 'bin.js');

export function fixture(...parts: string[]): string {
  return path.join(fixturesDir, ...parts);
}
