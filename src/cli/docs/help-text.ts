// The parts of a command's hand-written --help: its usage lines, the prose before the options, the option
// lines and the examples. The man page borrows the prose and examples; the tests hold the option lines
// against the command's option definitions.

export interface HelpSections {
  /** `Usage: memrec query ...` and its continuation lines */
  usage: string[];
  /** the paragraphs between the usage and the options */
  description: string[];
  /** the lines of the Options section (its heading left out) */
  options: string[];
  /** the example command lines, indented as written */
  examples: string[];
}

export function helpSections(help: string): HelpSections {
  const lines = help.split('\n');
  const s: HelpSections = { usage: [], description: [], options: [], examples: [] };
  let part: keyof HelpSections | 'other' = 'other';
  for (const l of lines) {
    if (l.startsWith('Usage:')) part = 'usage';
    else if (/^Options\b/.test(l)) {
      part = 'options';
      continue;
    } else if (/^Examples?:/.test(l)) {
      part = 'examples';
      continue;
    } else if (part === 'usage' && l.trim() === '') {
      part = 'description';
      continue;
    } else if ((part === 'options' || part === 'examples') && l.trim() !== '' && !/^\s/.test(l)) part = 'other';
    if (part === 'other') continue;
    if (part === 'examples' && l.trim() === '') continue;
    s[part].push(l);
  }
  while (s.description.length > 0 && s.description.at(-1)!.trim() === '') s.description.pop();
  return s;
}

/** An option line of the Options section: `  --since T   doc`, `  --out FILE, -o   doc`, `  --hard Q, --soft Q   doc`. */
export interface HelpOption {
  long: string;
  /** the value name written after it, if any */
  value: string | null;
  /** a `-x` written with it */
  short: string | null;
}

/**
 * The options an Options section defines: its lines indented by exactly two spaces that begin with a dash,
 * read up to the first run of two spaces (the term); continuation lines are indented further.
 */
export function helpOptions(section: readonly string[]): HelpOption[] {
  const out: HelpOption[] = [];
  for (const l of section) {
    const m = /^ {2}(-\S.*?)(?: {2,}|$)/.exec(l);
    if (m === null) continue;
    const parts = m[1]!.split(/,\s*/);
    const short = parts.find((p) => /^-[^-]$/.test(p)) ?? null;
    for (const p of parts) {
      const lm = /^--([a-z0-9][a-z0-9-]*)(?: (\S+))?$/.exec(p);
      if (lm === null) {
        if (!/^-[^-]$/.test(p)) throw new Error(`cannot read the option term ${JSON.stringify(p)} in ${JSON.stringify(l)}`);
        continue;
      }
      out.push({ long: lm[1]!, value: lm[2] ?? null, short });
    }
  }
  return out;
}
