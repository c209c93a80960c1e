// The commented default /etc/memrec/memrec.yaml that install-service writes: every key of
// `memrec record` documented and commented out, so future defaults still apply until someone edits it.
import { SYSTEM_DB_PATH } from '../config/paths.js';
import type { LoadedConfig } from '../config/load.js';
import { renderYaml } from '../config/render.js';
import { OPTIONS, type ConfigKey, type RecordConfig } from '../config/schema.js';
import { RUNTIME_CONFIG_PATH } from './unit.js';

/** `writer` says who wrote the file and whether it is ever replaced. */
export function defaultConfigYaml(writer = '`memrec install-service`; it is never overwritten'): string {
  const values = Object.fromEntries(OPTIONS.map((o) => [o.key, o.default])) as unknown as RecordConfig;
  values.db = SYSTEM_DB_PATH;
  values.config = RUNTIME_CONFIG_PATH;
  const origins = Object.fromEntries(OPTIONS.map((o) => [o.key, { source: 'default', where: 'default' }])) as Record<ConfigKey, LoadedConfig['origins'][ConfigKey]>;
  const body = renderYaml({ values, origins, file: null })
    .split('\n')
    .map((l) => (l === '' || l.startsWith('#') ? l : `# ${l}`))
    .join('\n');
  return [
    `# /etc/memrec/memrec.yaml, written by ${writer}.`,
    '# Uncomment a key to change it, then `systemctl restart memrec`. `memrec config` shows the result.',
    '# The service passes --db /var/lib/memrec/memrec.db (its StateDirectory, the only place it may write).',
    '',
    body,
  ].join('\n');
}
