// Measurement only (bench/recorder.ts --candidates): a UTC-only Intl.DateTimeFormat, preloaded with
// --import, that gives node-cron the parts it asks for without ICU. It prices what node-cron's
// Intl.DateTimeFormat (en-US parts + shortOffset zone names) costs the recorder in RSS; never shipped.
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const two = (n: number) => String(n).padStart(2, '0');

class UtcDateTimeFormat {
  constructor(
    _locale: string,
    private readonly o: Intl.DateTimeFormatOptions = {},
  ) {}

  formatToParts(date: Date | number): { type: string; value: string }[] {
    const d = new Date(date);
    if (this.o.timeZoneName !== undefined) return [{ type: 'timeZoneName', value: 'GMT' }];
    return [
      { type: 'weekday', value: WEEKDAYS[d.getUTCDay()]! },
      { type: 'month', value: two(d.getUTCMonth() + 1) },
      { type: 'day', value: two(d.getUTCDate()) },
      { type: 'year', value: String(d.getUTCFullYear()) },
      { type: 'hour', value: two(d.getUTCHours()) },
      { type: 'minute', value: two(d.getUTCMinutes()) },
      { type: 'second', value: two(d.getUTCSeconds()) },
    ];
  }
}

(globalThis.Intl as { DateTimeFormat: unknown }).DateTimeFormat = UtcDateTimeFormat;
