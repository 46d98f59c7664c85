// Headless Debian Chromium driven by playwright-core: loads a page from disk, reports what rendered.
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export interface RenderedPage {
  images: { src: string; loaded: boolean; width: number; height: number }[];
  tables: { caption: string; rows: number }[];
  sections: string[];
  failedRequests: string[];
}

export async function renderPage(htmlFile: string, screenshot: string): Promise<RenderedPage> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS }); // playwright gives it a fresh profile
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const failedRequests: string[] = [];
    page.on('requestfailed', (r) => failedRequests.push(r.url()));
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
    // evaluated in the page (a string, so this Node-only project needs no DOM typings)
    const result = (await page.evaluate(`({
      images: [...document.images].map((i) => ({ src: i.getAttribute('src') || '', loaded: i.complete && i.naturalWidth > 0, width: i.naturalWidth, height: i.naturalHeight })),
      tables: [...document.querySelectorAll('table')].map((t) => ({ caption: t.caption ? t.caption.textContent : '', rows: t.tBodies[0] ? t.tBodies[0].rows.length : 0 })),
      sections: [...document.querySelectorAll('section h2')].map((h) => h.textContent || ''),
    })`)) as Omit<RenderedPage, 'failedRequests'>;
    await page.screenshot({ path: screenshot, fullPage: true });
    return { ...result, failedRequests };
  } finally {
    await browser.close();
  }
}
