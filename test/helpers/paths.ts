import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root: tests run from dist/test/..., fixtures stay in test/fixtures. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');
export const memrecBin = path.join(repoRoot, 'dist', 'src', 'cli', 'bin.js');

export function fixture(...parts: string[]): string {
  return path.join(fixturesDir, ...parts);
}

/** The kind node of test/fixtures/v2-kind-nested: its docker container's cgroup on the host. */
export const KIND_NODE = '/system.slice/docker-f3a9c1e07b52d4e68a90b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2.scope';
