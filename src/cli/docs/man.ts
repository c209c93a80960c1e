// memrec(1) in roff, made from the commands' option definitions (the objects their arguments are parsed
// with), their summaries and the prose of their --help: `memrec man`, and dist/man/memrec.1 at build time.
import { OPTIONS, envName } from '../../config/schema.js';
import { SYSTEM_CONFIG_PATH } from '../../config/paths.js';
import { GLOBAL_OPTIONS } from '../catalog.js';
import type { Command } from '../command.js';
import { commonOptions, optionTerm, type OptionDef } from '../args.js';
import { helpSections } from './help-text.js';

/** Text as roff reads it: backslashes and dashes escaped, anything beyond ASCII as \[uXXXX], no control characters. */
export function roffText(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\e';
    else if (ch === '-') out += '\\-';
    else if (cp < 0x20 || cp === 0x7f) out += ' ';
    else if (cp > 0x7e) out += `\\[u${cp.toString(16).toUpperCase().padStart(4, '0')}]`;
    else out += ch;
  }
  return out;
}

/** One line of text in the body: a leading `.` or `'` would be read as a request. */
function line(s: string): string {
  const t = roffText(s);
  return /^[.']/.test(t) ? `\\&${t}` : t;
}

const bold = (s: string): string => `\\fB${roffText(s)}\\fR`;
const italic = (s: string): string => `\\fI${roffText(s)}\\fR`;

/** `\fB\-\-since\fR \fIT\fR`, `\fB\-o\fR, \fB\-\-out\fR \fIFILE\fR` */
function optionHeading(name: string, o: OptionDef): string {
  const term = optionTerm(name, o);
  const long = o.value === undefined ? bold(term) : `${bold(`--${name}`)} ${italic(o.value)}`;
  return o.short === undefined ? long : `${bold(`-${o.short}`)}, ${long}`;
}

/** The doc of an option, then what its value may be. */
function optionBody(o: OptionDef): string[] {
  const out = [line(sentence(o.doc))];
  if (o.choices !== undefined) out.push(line(`${o.list ? 'A comma-separated list of' : 'One of'}: ${o.choices.join(', ')}.`));
  if (o.multiple) out.push(line('May be given more than once.'));
  return out;
}

/** `show it` → `Show it.` */
function sentence(s: string): string {
  const t = `${s[0]!.toUpperCase()}${s.slice(1)}`;
  return /[.)]$/.test(t) && !t.endsWith('..') ? (t.endsWith(')') ? `${t}.` : t) : `${t}.`;
}

/** An option every command takes, listed once under OPTIONS rather than under each command. */
function isCommon(name: string, o: OptionDef): boolean {
  return Object.hasOwn(commonOptions, name) && commonOptions[name as keyof typeof commonOptions] === o;
}

/** Paragraphs of --help prose: text lines filled, indented lines kept as they are. */
function prose(lines: string[]): string[] {
  const out: string[] = [];
  let mode: 'fill' | 'nofill' | null = null;
  for (const l of lines) {
    if (l.trim() === '') {
      if (mode === 'nofill') out.push('.fi');
      mode = null;
      continue;
    }
    const indented = /^\s/.test(l);
    if (indented && mode !== 'nofill') {
      out.push(mode === null ? '.PP' : '.br', '.nf');
      mode = 'nofill';
    } else if (!indented && mode !== 'fill') {
      if (mode === 'nofill') out.push('.fi');
      else out.push('.PP');
      mode = 'fill';
    }
    out.push(line(indented ? l : l.trim()));
  }
  if (mode === 'nofill') out.push('.fi');
  return out;
}

function commandSection(c: Command): string[] {
  const h = helpSections(c.help);
  // the usage as --help words it, its continuation lines moved left as far as "Usage: " was
  const usage = h.usage.map((u, i) => (i === 0 ? u.replace(/^Usage: /, '') : u.replace(/^ {1,7}/, '')));
  const out = [`.SS ${bold(`memrec ${c.name}`)}`, line(sentence(c.summary)), '.PP', '.nf', ...usage.map(line), '.fi'];
  out.push(...prose(h.description));
  const own = Object.entries(c.options).filter(([name, o]) => !isCommon(name, o));
  if (own.length > 0 || c.operand !== undefined) out.push('.PP', 'Options (and -h, --help, --debug):');
  for (const [name, o] of own) out.push('.TP', optionHeading(name, o), ...optionBody(o));
  if (c.operand !== undefined) out.push('.TP', italic(c.operand.name), line(`${sentence(c.operand.doc).slice(0, -1)}: ${c.operand.choices.join(' or ')}.`));
  return out;
}

export interface ManInfo {
  version: string;
  description: string;
}

export function manPage(commands: readonly Command[], info: ManInfo): string {
  const out: string[] = [
    `.\\" memrec(1), generated from the option definitions of memrec ${roffText(info.version)} (memrec man); do not edit`,
    `.TH MEMREC 1 "" "memrec ${roffText(info.version)}" "User Commands"`,
    '.SH NAME',
    `memrec \\- ${roffText(info.description.replace(/^[A-Z]/, (c) => c.toLowerCase()))}`,
    '.SH SYNOPSIS',
    `${bold('memrec')} ${italic('command')} [${italic('options')}]`,
    '.br',
    `${bold('memrec')} ${italic('command')} ${bold('--help')}`,
    '.br',
    `${bold('memrec')} ${bold('--help')} | ${bold('--version')}`,
    '.SH DESCRIPTION',
    line('memrec records what a Kubernetes node (or any Linux machine) does with its memory, as the kubelet sees it: ' +
      "memory.available, the signal the kubelet evicts on, beside free's MemAvailable, and the top processes with their owner " +
      '(pod, systemd service, user session, kernel), cgroup, cwd and redacted command line. ' +
      '`memrec record` (the systemd service, or a DaemonSet) takes a snapshot every minute and a burst of them while memory is short ' +
      'or the kernel kills for memory, into one SQLite database. The report commands read that database while it is written: ' +
      'who ate the memory, when, and what the kernel killed.'),
    '.PP',
    line('Every command takes the options listed with it; an unknown option, a missing value or a value of the wrong form ' +
      'is refused with one line naming it (exit status 2).'),
    '.SH OPTIONS',
    line('Before any command:'),
    '.TP',
  ];
  GLOBAL_OPTIONS.forEach((o, i) => {
    if (i > 0) out.push('.TP');
    out.push(`${bold(`-${o.short}`)}, ${bold(`--${o.name}`)}`, line(`${o.doc[0]!.toUpperCase()}${o.doc.slice(1)}.`));
  });
  out.push('.PP', line('After any command:'));
  for (const [name, o] of Object.entries(commonOptions)) out.push('.TP', optionHeading(name, o), ...optionBody(o));
  out.push('.SH COMMANDS');
  for (const c of commands) out.push(...commandSection(c));
  out.push(
    '.SH ENVIRONMENT',
    line('Every option of memrec record is also read from a variable: the option name in capitals, dashes as underscores, after MEMREC_. ' +
      'Flags win over variables, variables over the configuration file. An unknown MEMREC_ variable is refused by every command.'),
  );
  for (const o of OPTIONS) out.push('.TP', bold(envName(o.name)), line(`As ${optionTerm(o.name, { type: 'string', doc: o.doc })}: ${o.doc}.`));
  out.push(
    '.PP',
    line(`${envName('db')} is also the database the other commands read. Besides:`),
    '.TP',
    bold('TZ'),
    line('the zone wall times are read and printed in (default: the system zone); --tz wins.'),
    '.TP',
    bold('COLUMNS'),
    line('the width tables and charts fit (else the terminal\'s, else 80).'),
    '.TP',
    bold('NO_COLOR'),
    line('when set and not empty, no colors even on a terminal.'),
    '.TP',
    bold('XDG_STATE_HOME'),
    line('where a user other than root keeps the database by default ($XDG_STATE_HOME/memrec/memrec.db, else ~/.local/state/memrec/memrec.db).'),
    '.SH FILES',
    '.TP',
    bold('/var/lib/memrec/memrec.db'),
    line('the database, as root (under systemd: /var/lib/private/memrec, reached through this link).'),
    '.TP',
    bold(SYSTEM_CONFIG_PATH),
    line('the recorder\'s configuration: every option of memrec record as a YAML key (memrec config --yaml writes one).'),
    '.TP',
    bold('/etc/systemd/system/memrec.service'),
    line('the unit memrec install-service writes (the Debian package ships it in /usr/lib/systemd/system).'),
    '.SH "EXIT STATUS"',
    '.TP',
    bold('0'),
    line('success.'),
    '.TP',
    bold('1'),
    line('the command ran but its answer is no: memrec status finds the recorder not recording, memrec postmortem finds no unclean end, ' +
      'memrec timeline --around finds nothing to zoom into; or a file could not be read or written, or a database is damaged.'),
    '.TP',
    bold('2'),
    line('bad input: an unknown command or option, a value of the wrong form, an unknown MEMREC_ variable, a file that is not what was expected; one line on standard error names it.'),
    '.SH EXAMPLES',
  );
  for (const c of commands) {
    const ex = helpSections(c.help).examples;
    if (ex.length === 0) continue;
    out.push('.PP', line(`${c.name}:`), '.RS', '.nf', ...ex.map((e) => line(e.trim())), '.fi', '.RE');
  }
  out.push(
    '.SH "SEE ALSO"',
    `${bold('free')}(1), ${bold('journalctl')}(1), ${bold('systemctl')}(1), ${bold('proc')}(5), ${bold('systemd.exec')}(5), ${bold('kubelet')}(1)`,
    '.PP',
    line('The README (/usr/share/doc/memrec/README.md in the Debian package) documents every command and JSON field.'),
    '',
  );
  return out.join('\n');
}
