import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { writeInvoiceFiles } from '../../functions/adapters/invoice-files';
import { formatMoney } from '../../functions/core/billing/render-format';
import { invoiceSample } from '../fixtures/billing/invoice-sample';

// The invoice page as a tenant sees it: written by writeInvoiceFiles, opened from disk in Debian's
// headless Chromium, screenshotted and printed.

const CHROMIUM = '/usr/bin/chromium';
const WIDTH = 900;

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  expect(Array.from(png.subarray(0, 8))).toEqual(signature);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect(new TextDecoder().decode(png.subarray(12, 16))).toBe('IHDR');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

describe('invoice page in headless Chromium', () => {
  let work: string;
  let profile: string;
  let htmlPath: string;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'invoice-page-'));
    profile = await mkdtemp(join(tmpdir(), 'invoice-chromium-'));
    const { files } = await writeInvoiceFiles(join(work, 'out'), [invoiceSample]);
    htmlPath = files.find((f) => f.endsWith('.html')) ?? '';
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
      ],
    });
    page = await browser.newPage();
    page.on('pageerror', (err) => problems.push(`pageerror: ${err instanceof Error ? err.message : String(err)}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
    page.on('request', (req) => requests.push(req.url()));
    await page.setViewport({ width: WIDTH, height: 1200, deviceScaleFactor: 1 });
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await rm(profile, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }, 30_000);

  it('loads with no page errors, no console errors and no request but the page itself', () => {
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(htmlPath).href]);
  });

  it('draws one visible bar per day, the estimated days hatched and the tallest bar on the highest day', async () => {
    // Act
    const bars = await page.$$eval('svg.usage-chart rect.bar', (rects) =>
      rects.map((r) => ({
        date: r.getAttribute('data-date'),
        estimated: r.classList.contains('estimated'),
        fill: r.getAttribute('fill'),
        height: r.getBoundingClientRect().height,
      })),
    );

    // Assess
    expect(bars.map((b) => b.date)).toEqual(invoiceSample.dailyKWh.map((d) => d.date));
    expect(bars.filter((b) => b.estimated).map((b) => b.date)).toEqual(['2026-04-12', '2026-04-13']);
    expect(bars.filter((b) => b.estimated).every((b) => b.fill === 'url(#hatch-estimated)')).toBe(true);
    expect(bars.every((b) => b.height > 10)).toBe(true);
    const tallest = bars.reduce((a, b) => (b.height > a.height ? b : a));
    expect(tallest.date).toBe('2026-04-18');
    const chart = await page.$eval('svg.usage-chart', (svg) => svg.getBoundingClientRect().width);
    expect(chart).toBeGreaterThan(400);
  });

  it('shows the invoice total as the amount due and as the last line of the charges', async () => {
    // Act
    const total = await page.$eval('#total', (el) => el.textContent);
    const due = await page.$eval('#amount-due', (el) => el.textContent);
    const amounts = await page.$$eval('table.lines tr.line td.amount', (tds) => tds.map((td) => td.textContent));

    // Assess
    expect(total).toBe(formatMoney(invoiceSample.totalMinor, 'USD'));
    expect(total).toBe('$214.79');
    expect(due).toBe(total);
    expect(amounts).toEqual(invoiceSample.lines.map((l) => formatMoney(l.amountMinor, 'USD')));
  });

  it('shows the tenant name as text and explains each flag', async () => {
    // Act
    const tenant = await page.$eval('.parties .name', (el) => el.textContent);
    const flags = await page.$$eval('ul.flags li.flag b', (bs) => bs.map((b) => b.textContent));

    // Assess
    expect(tenant).toBe('Ana María Ortega');
    expect(flags).toEqual(['Estimated usage', 'Meter reading went backwards']);
  });

  it('takes a non-trivial full-page PNG screenshot', async () => {
    // Act
    const png = await page.screenshot({ type: 'png', fullPage: true, path: join(work, 'invoice.png') });

    // Assess
    const size = pngSize(png);
    expect(size.width).toBe(WIDTH);
    expect(size.height).toBeGreaterThan(1200);
    expect(png.byteLength).toBeGreaterThan(50_000);
    expect((await readFile(join(work, 'invoice.png'))).byteLength).toBe(png.byteLength);
  }, 30_000);

  it.each(['A4', 'Letter'] as const)(
    'prints the sample month on one %s page',
    async (format) => {
      // Act (page.pdf lays the page out with its print CSS)
      const pdf = await page.pdf({ format, printBackground: true });

      // Assess
      const text = Buffer.from(pdf).toString('latin1');
      expect(text.startsWith('%PDF-')).toBe(true);
      expect(pdf.byteLength).toBeGreaterThan(20_000);
      const pages = text.match(/\/Type\s*\/Page\b(?!s)/g)?.length ?? 0;
      expect(pages).toBe(1);
    },
    30_000,
  );
});
