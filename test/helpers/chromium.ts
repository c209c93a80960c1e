// Headless Chromium driven over the DevTools protocol on a pipe (fd 3 in, fd 4 out, NUL-delimited JSON):
// no npm dependency, no port. Opens one page, reports console errors, exceptions and network requests,
// evaluates an expression and takes a full-page screenshot, or prints the page to PDF.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { requireTool } from './tools.js';

export const CHROMIUM = '/usr/bin/chromium';

export interface PageReport<T> {
  /** console errors, uncaught exceptions and error log entries (CSP violations land here) */
  errors: string[];
  /** every URL the page requested other than itself */
  requests: string[];
  value: T;
  screenshot: Buffer;
}

interface Message {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

class Cdp {
  private nextId = 1;
  private buf = Buffer.alloc(0);
  private pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  readonly listeners: Array<(m: Message) => void> = [];

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    output.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      let nul: number;
      while ((nul = this.buf.indexOf(0)) >= 0) {
        const m = JSON.parse(this.buf.subarray(0, nul).toString('utf8')) as Message;
        this.buf = this.buf.subarray(nul + 1);
        if (m.id !== undefined) {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          if (m.error) p?.reject(new Error(m.error.message));
          else p?.resolve(m.result ?? {});
        } else for (const l of this.listeners) l(m);
      }
    });
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.input.write(JSON.stringify(sessionId === undefined ? { id, method, params } : { id, method, params, sessionId }) + '\0');
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  waitFor(method: string, timeoutMs: number): Promise<Message> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${method}`)), timeoutMs);
      this.listeners.push((m) => {
        if (m.method === method) {
          clearTimeout(timer);
          resolve(m);
        }
      });
    });
  }
}

export interface PageOptions {
  /** the viewport's width in CSS px (default 1300) */
  width?: number;
  /** the CSS media the page is laid out for: 'print' to check the print rules at A4's width */
  media?: 'screen' | 'print';
}

/**
 * Open `file` in a fresh headless Chromium and hand the page to `use`; the browser is closed after.
 * Console errors, exceptions and requests other than the file itself are collected while it is open.
 */
async function withPage<R>(file: string, o: PageOptions, use: (send: (method: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>) => Promise<R>): Promise<{ errors: string[]; requests: string[]; result: R }> {
  const width = o.width ?? 1300;
  const profile = mkdtempSync(path.join(tmpdir(), 'memrec-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--remote-debugging-pipe',
    `--user-data-dir=${profile}`,
    'about:blank',
  ];
  // missing: one line saying how to get it (npm test installs it as root), never a skip
  requireTool('chromium');
  const child: ChildProcess = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const cdp = new Cdp(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const pageUrl = pathToFileURL(file).href;
  const errors: string[] = [];
  const requests: string[] = [];
  try {
    const { targetId } = (await cdp.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    cdp.listeners.push((m) => {
      if (m.sessionId !== sessionId || !m.params) return;
      const p = m.params as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      if (m.method === 'Runtime.consoleAPICalled' && (p['type'] === 'error' || p['type'] === 'assert')) errors.push(`console.${p['type']}: ${JSON.stringify(p['args'])}`);
      if (m.method === 'Runtime.exceptionThrown') errors.push(`exception: ${JSON.stringify(p['exceptionDetails'])}`);
      if (m.method === 'Log.entryAdded' && p['entry']?.level === 'error') errors.push(`log: ${p['entry'].text}`);
      if (m.method === 'Network.requestWillBeSent' && p['request']?.url !== pageUrl) requests.push(String(p['request']?.url));
    });
    const send = (method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> => cdp.send(method, params, sessionId);
    for (const d of ['Runtime.enable', 'Log.enable', 'Page.enable', 'Network.enable']) await send(d);
    await send('Emulation.setDeviceMetricsOverride', { width, height: 900, deviceScaleFactor: 1, mobile: false });
    if (o.media !== undefined) await send('Emulation.setEmulatedMedia', { media: o.media });
    const loaded = cdp.waitFor('Page.loadEventFired', 30_000);
    await send('Page.navigate', { url: pageUrl });
    await loaded;
    const result = await use(send);
    await cdp.send('Browser.close').catch(() => undefined);
    return { errors, requests, result };
  } catch (e) {
    throw new Error(`${(e as Error).message}; chromium stderr: ${stderr.slice(-2000)}`);
  } finally {
    if (child.exitCode === null) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 3000);
        child.on('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Open `file` in a fresh headless Chromium, evaluate `expression` (must return JSON-able data) and screenshot the whole page. */
export async function inspectPage<T>(file: string, expression: string, o: PageOptions = {}): Promise<PageReport<T>> {
  const width = o.width ?? 1300;
  const { errors, requests, result } = await withPage(file, o, async (send) => {
    const ev = (await send('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: T }; exceptionDetails?: unknown };
    if (ev.exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(ev.exceptionDetails)}`);
    const metrics = (await send('Page.getLayoutMetrics')) as { cssContentSize: { width: number; height: number } };
    const shot = (await send('Page.captureScreenshot', {
      format: 'png',
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width, height: Math.min(16_000, Math.ceil(metrics.cssContentSize.height)), scale: 1 },
    })) as { data: string };
    return { value: ev.result.value, screenshot: Buffer.from(shot.data, 'base64') };
  });
  return { errors, requests, ...result };
}

/** The page printed to PDF as a browser prints it: the page's own @page size and margins, backgrounds on. */
export async function printToPdf(file: string): Promise<{ errors: string[]; requests: string[]; pdf: Buffer }> {
  const { errors, requests, result } = await withPage(file, { media: 'print' }, async (send) => {
    const r = (await send('Page.printToPDF', { preferCSSPageSize: true, printBackground: true, displayHeaderFooter: false })) as { data: string };
    return Buffer.from(r.data, 'base64');
  });
  return { errors, requests, pdf: result };
}
