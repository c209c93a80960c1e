// Secrets in command lines (`mysql -psecret`, `--token=...`, `postgres://u:p@h`) must never reach the
// database or a report. Redaction is by name and shape, per argument, and keeps everything else intact:
// a forensic record without the cmdline is worth little.

/** A program whose short options carry secrets where the same letter means something else elsewhere (`-p`). */
export interface ProgramRule {
  /** basenames of argv[0] */
  programs: string[];
  /** only after this subcommand (`docker login -p`) */
  subcommand?: string;
  /** options whose value is a secret, attached (`-psecret`) or, unless `attachedOnly`, the next argument */
  options: string[];
  /** mysql's `-p` alone prompts and the next argument is the database: only `-p<secret>` is one */
  attachedOnly?: boolean;
  /** the value is `user:secret` (curl -u) or `user%secret` (smbclient -U): keep the user */
  userSeparator?: string;
}

export interface RedactRules {
  /** regular expressions (sources) matched against whole words of an option or variable name, lower-cased, words joined by `_` */
  secretNames: string[];
  /** secret words that also count at the end of a glued word (`PGPASSWORD`, `authtoken`); short ones like `pass` would hit `bypass` */
  secretSuffixes: string[];
  /** a name whose last word is one of these names a place, not a secret (`--password-file`) */
  keepSuffixes: string[];
  /** names, exactly as written, that match a secret word yet are not secrets (`PWD=/home/x` is a directory) */
  keepNames: string[];
  /** values never redacted by name: switches, not secrets (`--anonymous-auth=false`) */
  keepValues: string[];
  programs: ProgramRule[];
  /** redact long random-looking strings (JWTs, cloud keys, tokens) wherever they appear */
  entropy: boolean;
}

export const DEFAULT_SECRET_NAMES: readonly string[] = [
  'password',
  'passwd',
  'pass',
  'pwd',
  'secret',
  'token',
  'api_?key',
  'access_?key',
  'private_?key',
  'secret_?key',
  'credentials?',
  'auth',
  'bearer',
  'passphrase',
];

export const DEFAULT_REDACT_RULES: RedactRules = {
  secretNames: [...DEFAULT_SECRET_NAMES],
  secretSuffixes: ['password', 'passwd', 'secret', 'token', 'apikey'],
  keepSuffixes: ['file', 'files', 'path', 'dir', 'directory', 'mode', 'type', 'method', 'url', 'uri', 'endpoint', 'host', 'port', 'ttl', 'timeout', 'expiry', 'length', 'len', 'size', 'enabled', 'enable', 'disabled', 'header', 'name', 'user', 'username', 'source', 'policy', 'provider', 'plugin', 'webhook', 'encryption', 'hash', 'algorithm', 'format', 'scheme'],
  keepNames: ['PWD', 'OLDPWD'],
  keepValues: ['true', 'false', 'yes', 'no', 'on', 'off', '0', '1', ''],
  programs: [
    { programs: ['mysql', 'mysqldump', 'mysqladmin', 'mysqlimport', 'mysqlshow', 'mysqlcheck', 'mysqlpump', 'mariadb', 'mariadb-dump', 'mariadb-admin'], options: ['-p'], attachedOnly: true },
    { programs: ['sshpass'], options: ['-p'] },
    { programs: ['redis-cli', 'valkey-cli'], options: ['-a'] },
    { programs: ['redis-server', 'valkey-server'], options: ['--requirepass', '--masterauth'] },
    { programs: ['mongo', 'mongosh', 'mongodump', 'mongorestore', 'mongoexport', 'mongoimport'], options: ['-p'] },
    { programs: ['docker', 'podman', 'nerdctl', 'buildah', 'skopeo', 'helm', 'oras'], subcommand: 'login', options: ['-p'] },
    { programs: ['curl'], options: ['-u', '--user', '-U', '--proxy-user'], userSeparator: ':' },
    { programs: ['smbclient', 'rpcclient', 'smbmap'], options: ['-U', '--user'], userSeparator: '%' },
    { programs: ['openssl'], options: ['-passin', '-passout', '-pass', '-k', '-kfile'] },
  ],
  entropy: true,
};

/** The default rules plus extra secret name patterns (from the config file). */
export function withExtraSecretNames(extra: readonly string[], base: RedactRules = DEFAULT_REDACT_RULES): RedactRules {
  return { ...base, secretNames: [...base.secretNames, ...extra] };
}

export const REDACTED = '***';

interface Compiled {
  rules: RedactRules;
  name: RegExp;
  keepSuffix: Set<string>;
  keepName: Set<string>;
  keepValue: Set<string>;
}

const compiledCache = new WeakMap<RedactRules, Compiled>();

function compile(rules: RedactRules): Compiled {
  let c = compiledCache.get(rules);
  if (!c) {
    c = {
      rules,
      name: new RegExp(`(?:^|_)(?:${rules.secretNames.join('|')}|[a-z0-9]*(?:${rules.secretSuffixes.join('|') || '(?!)'}))(?:_|$)`),
      keepSuffix: new Set(rules.keepSuffixes),
      keepName: new Set(rules.keepNames),
      keepValue: new Set(rules.keepValues.map((v) => v.toLowerCase())),
    };
    compiledCache.set(rules, c);
  }
  return c;
}

/** `--db-password`, `-Djavax.net.ssl.keyStorePassword`, `MYSQL_ROOT_PASSWORD` → words joined by `_`. */
function normalizeName(raw: string): string {
  let n = raw.replace(/^-+/, '');
  if (raw.startsWith('-D') && !raw.startsWith('--')) n = n.slice(1); // Java system property
  return n
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

function isSecretName(c: Compiled, raw: string): boolean {
  if (c.keepName.has(raw)) return false;
  const n = normalizeName(raw);
  if (n === '') return false;
  if (!c.name.test(n)) return false;
  const last = n.slice(n.lastIndexOf('_') + 1);
  return !c.keepSuffix.has(last);
}

function keepsValue(c: Compiled, value: string): boolean {
  return c.keepValue.has(value.toLowerCase());
}

const NAME = /^(-{0,2}[A-Za-z_][\w.-]*)=([\s\S]*)$/;
const INNER_PAIR = /([,;&?])([A-Za-z_][\w.-]*)=([^,;&\s]*)/g;
const URL_USERINFO = /\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s/:@]*):([^\s@/]+)@/g;
const HEADER = /^((?:proxy-)?authorization|x-api-key|api-key|x-auth-token|x-vault-token|private-token|cookie)(\s*:\s*)([\s\S]+)$/i;
const SCHEME_VALUE = /\b(Bearer|Basic|Digest|Token|Negotiate)(\s+)([^\s"']+)/g;

const KNOWN_TOKENS: RegExp[] = [
  /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, // JWT
  /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[A-Z0-9]{16}\b/g, // AWS access key id
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, // GitHub
  /\bgithub_pat_[A-Za-z0-9_]{22,}\b/g,
  /\bglpat-[A-Za-z0-9_-]{20,}\b/g, // GitLab
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack
  /\bAIza[0-9A-Za-z_-]{35}\b/g, // Google API key
  /\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}\b/g, // Stripe
];

const RANDOM_RUN = /[A-Za-z0-9+/_-]{32,}={0,2}/g;

/** Bits per character: random base64 is near 5-6, words and paths near 3-4. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Long strings that look random: mixed case and digits, high entropy, not a path. Hex ids (containers) stay. */
function looksRandom(run: string): boolean {
  if (!/[a-z]/.test(run) || !/[A-Z]/.test(run) || !/[0-9]/.test(run)) return false;
  if (run.includes('/') && (run.startsWith('/') || run.split('/').length > 3)) return false;
  return entropy(run) >= 4.2;
}

function redactTokens(c: Compiled, s: string): string {
  let out = s;
  for (const re of KNOWN_TOKENS) out = out.replace(re, REDACTED);
  return out.replace(RANDOM_RUN, (run) => (looksRandom(run) ? REDACTED : run));
}

/** Shapes that are secrets wherever they appear in one argument. */
function redactShapes(c: Compiled, arg: string): string {
  let out = arg;
  const h = HEADER.exec(out);
  if (h) {
    const value = h[3]!;
    const scheme = /^(\S+)(\s+)\S/.exec(value);
    out = `${h[1]}${h[2]}${/^authorization$|^proxy-authorization$/i.test(h[1]!) && scheme ? `${scheme[1]}${scheme[2]}${REDACTED}` : REDACTED}`;
  }
  out = out.replace(SCHEME_VALUE, (_m, scheme: string, sp: string) => `${scheme}${sp}${REDACTED}`);
  out = out.replace(URL_USERINFO, (_m, head: string) => `${head}:${REDACTED}@`);
  out = out.replace(INNER_PAIR, (m, sep: string, key: string, value: string) => (isSecretName(c, key) && !keepsValue(c, value) ? `${sep}${key}=${REDACTED}` : m));
  if (c.rules.entropy) out = redactTokens(c, out);
  return out;
}

const WRAPPERS = new Set(['sudo', 'env', 'nohup', 'exec', 'nice', 'ionice', 'time', 'xargs', 'stdbuf', 'chroot', 'setsid', 'runuser', 'su']);
const SHELL_SEPARATORS = new Set(['|', '||', '&&', ';', '&']);

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Redact one command: argv of a process or the words of one shell pipeline stage. */
function redactCommand(c: Compiled, argv: string[]): string[] {
  const out = argv.slice();
  // The program: the first word that is not an assignment or a wrapper (`sudo env X=1 mysql ...`).
  let progIdx = 0;
  while (progIdx < argv.length && (NAME.test(argv[progIdx]!) && !argv[progIdx]!.startsWith('-') ? true : WRAPPERS.has(basename(argv[progIdx]!)))) progIdx++;
  const program = argv[progIdx] === undefined ? '' : basename(argv[progIdx]!);
  const subcommands = new Set(argv.slice(progIdx + 1).filter((a) => !a.startsWith('-')).slice(0, 2));
  const programRules = c.rules.programs.filter((r) => r.programs.includes(program) && (r.subcommand === undefined || subcommands.has(r.subcommand)));

  let redactNext: { userSeparator?: string } | null = null;
  for (let i = 0; i < out.length; i++) {
    const arg = out[i]!;
    if (redactNext !== null) {
      const sep = redactNext.userSeparator;
      const at = sep === undefined ? -1 : arg.indexOf(sep);
      out[i] = at >= 0 ? `${arg.slice(0, at + 1)}${REDACTED}` : sep !== undefined ? arg : REDACTED;
      redactNext = null;
      continue;
    }
    if (/\s/.test(arg.trim())) {
      // A shell string (`sh -c "..."`) or a rewritten title: shapes over the whole, then each pipeline stage.
      out[i] = redactShellString(c, redactShapes(c, arg));
      continue;
    }
    // Program-specific short options: `-psecret`, `-p secret`, `-u user:secret`.
    let handled = false;
    for (const r of programRules) {
      for (const opt of r.options) {
        if (arg === opt && !r.attachedOnly) {
          redactNext = r.userSeparator === undefined ? {} : { userSeparator: r.userSeparator };
          handled = true;
        } else if (arg.startsWith(opt) && arg.length > opt.length && !(opt.startsWith('--') && arg[opt.length] !== '=')) {
          const value = arg.slice(opt.length).replace(/^=/, '');
          const head = arg.slice(0, arg.length - value.length);
          if (r.userSeparator !== undefined) {
            const at = value.indexOf(r.userSeparator);
            out[i] = at >= 0 ? `${head}${value.slice(0, at + 1)}${REDACTED}` : arg;
          } else if (opt.length === 2 || arg[opt.length] === '=') {
            out[i] = `${head}${REDACTED}`;
          } else continue; // `-passin` is not `-pass` + `in`
          handled = true;
        }
        if (handled) break;
      }
      if (handled) break;
    }
    if (handled) continue;
    // By name: `--password=x`, `-Dpassword=x`, `DB_PASSWORD=x`; `--password x`.
    const kv = NAME.exec(arg);
    if (kv && isSecretName(c, kv[1]!) && !keepsValue(c, kv[2]!)) {
      out[i] = `${kv[1]}=${REDACTED}`;
      continue;
    }
    if (/^--?[A-Za-z][\w.-]*$/.test(arg) && isSecretName(c, arg)) {
      const next = out[i + 1];
      if (next !== undefined && !next.startsWith('-') && !keepsValue(c, next)) redactNext = {};
      continue;
    }
    out[i] = redactShapes(c, arg);
  }
  return out;
}

/** `sh -c "mysqldump -uroot -psecret db | gzip"`: redact each pipeline stage of a shell string, keep its spacing. */
function redactShellString(c: Compiled, s: string): string {
  const parts = s.split(/(\s+)/);
  const words: number[] = [];
  for (let i = 0; i < parts.length; i++) if (parts[i] !== '' && !/^\s+$/.test(parts[i]!)) words.push(i);
  let stage: number[] = [];
  const flush = (): void => {
    if (stage.length === 0) return;
    const redacted = redactCommand(
      c,
      stage.map((i) => parts[i]!),
    );
    stage.forEach((i, k) => (parts[i] = redacted[k]!));
    stage = [];
  };
  for (const i of words) {
    if (SHELL_SEPARATORS.has(parts[i]!)) flush();
    else stage.push(i);
  }
  flush();
  return parts.join('');
}

/** The command line for storage and display: arguments joined by spaces, secrets replaced by `***`. */
export function redactArgs(argv: readonly string[], rules: RedactRules = DEFAULT_REDACT_RULES): string {
  return redactCommand(compile(rules), argv.slice()).join(' ');
}
