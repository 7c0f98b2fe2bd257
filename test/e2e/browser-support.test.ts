import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { checkAccessibility, describeWithBrowser, saveScreenshot, SCREENSHOTS_DIR, useBrowser } from '../support/browser';

// The header our own pages are sent with: axe must get in without it being loosened.
const STRICT_CSP = "default-src 'none'; style-src 'unsafe-inline'";
const PAGE_HEIGHT_PX = 1400;

const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<title>${title}</title><style>body{font-family:sans-serif;color:#111;background:#fff;margin:1rem}` +
  `main{min-height:${PAGE_HEIGHT_PX}px}label{display:block;margin-top:1rem}</style></head><body><main>${body}</main></body></html>`;

const PAGES: Record<string, string> = {
  '/accessible': page(
    'Pay Example Shop',
    `<h1>Pay Example Shop</h1><img src="/logo.png" alt="Example Shop" width="40" height="40">` +
      `<label for="card">Card number</label><input id="card" name="card" autocomplete="cc-number" inputmode="numeric">` +
      `<button type="submit">Pay 10.00 USD</button>`,
  ),
  '/inaccessible': page(
    'Pay Example Shop',
    `<h1>Pay Example Shop</h1><img src="/logo.png" width="40" height="40">` +
      `<input id="card" name="card"><button type="submit">Pay 10.00 USD</button>`,
  ),
};

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const html = PAGES[request.url ?? ''];
    response.writeHead(html ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': STRICT_CSP });
    response.end(html ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describeWithBrowser('browser test support', () => {
  let browser: Browser;
  let context: BrowserContext;
  let tab: Page;
  useBrowser((started) => (browser = started));

  beforeEach(async () => {
    // Phone width: the pages we serve must work there.
    context = await browser.newContext({ viewport: { width: 390, height: 700 } });
    tab = await context.newPage();
  });
  afterEach(async () => context.close());

  it('when the page is sent with a CSP forbidding inline scripts, then an inline script tag does not run there', async () => {
    await tab.goto(`${baseUrl}/accessible`);
    await tab.addScriptTag({ content: 'globalThis.inlineScriptRan = true;' }).catch(() => undefined);
    expect(await tab.evaluate(() => (globalThis as unknown as { inlineScriptRan?: boolean }).inlineScriptRan)).toBeUndefined();
  });

  it('when a page has a labelled field and an image with alt text, then it has no serious violations', async () => {
    await tab.goto(`${baseUrl}/accessible`);
    expect(await checkAccessibility(tab)).toEqual([]);
  });

  it('when an image has no alt and a field no label, then image-alt and label are reported with their elements', async () => {
    await tab.goto(`${baseUrl}/inaccessible`);
    const violations = await checkAccessibility(tab);
    expect(violations.map((violation) => violation.id).sort()).toEqual(['image-alt', 'label']);
    expect(violations).toContainEqual(expect.objectContaining({ id: 'image-alt', impact: 'critical', target: 'img' }));
    expect(violations).toContainEqual(expect.objectContaining({ id: 'label', target: '#card' }));
  });

  it('when the offending elements are excluded, then they are not reported', async () => {
    await tab.goto(`${baseUrl}/inaccessible`);
    expect((await checkAccessibility(tab, { exclude: ['img'] })).map((violation) => violation.id)).toEqual(['label']);
  });

  it('when a screenshot is saved, then a full-page PNG is written under test-output/screenshots', async () => {
    await tab.goto(`${baseUrl}/accessible`);
    const file = await saveScreenshot(tab, 'browser-support-accessible');
    expect(file).toBe(path.join(SCREENSHOTS_DIR, 'browser-support-accessible.png'));
    const png = await readFile(file);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    // The IHDR chunk's width and height: the whole page, not the 700 px viewport.
    expect(png.readUInt32BE(16)).toBe(390);
    expect(png.readUInt32BE(20)).toBeGreaterThan(PAGE_HEIGHT_PX);
  });

  it('when a screenshot name could leave the folder, then it is refused', async () => {
    await expect(saveScreenshot(tab, '../escape')).rejects.toThrow(/kebab-case/);
  });
});
