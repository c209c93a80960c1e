// `npm run deb`'s build as the tests run it. The changelog needs a maintainer, from DEBFULLNAME/DEBEMAIL or git's
// identity; a fresh clone on a fresh machine has neither, so the tests name themselves when nothing else does.
import { spawnSync } from 'node:child_process';
import { buildDeb, type BuiltDeb } from '../../packaging/deb/build.js';
import { repoRoot } from './paths.js';

export function buildTestDeb(outDir: string): BuiltDeb {
  const gitKnows = (key: string): boolean => spawnSync('git', ['config', key], { cwd: repoRoot, encoding: 'utf8' }).stdout?.trim() !== '';
  if (process.env['DEBFULLNAME'] === undefined && !gitKnows('user.name')) process.env['DEBFULLNAME'] = 'memrec tests';
  if (process.env['DEBEMAIL'] === undefined && !gitKnows('user.email')) process.env['DEBEMAIL'] = 'tests@memrec.invalid';
  return buildDeb(outDir);
}
