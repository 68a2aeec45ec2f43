// How long index.html takes to load in a real browser: navigation start to the
// load event, and to the first frame after it (the grid laid out and painted),
// read from the page's own Navigation Timing. Used by the engine benchmark (the
// figure) and the browser test (which asserts the page, and only prints the time).
import type { Browser } from 'playwright-core';
import { pathToFileURL } from 'node:url';

/** Debian's Chromium; never a downloaded one. */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox', // runs as root
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Without these Chromium keeps trying to reach Google's services on a closed network.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface PageLoad {
  /** Navigation start to the end of the load event. */
  loadMs: number;
  /** Navigation start to DOMContentLoaded's end (the page's script has run). */
  domContentLoadedMs: number;
  /** First contentful paint, when the browser reports it. */
  firstPaintMs?: number;
  /** Navigation start to the first animation frame after load: the grid rendered. */
  gridRenderedMs: number;
  /** Grid cells (a.cell) in the page, and what the filter counter says. */
  cells: number;
  shown: string;
  /** Console errors and warnings, uncaught exceptions. */
  problems: string[];
}

export async function measurePageLoad(browser: Browser, file: string): Promise<PageLoad> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 120_000 });
    const t = await page.evaluate(
      () =>
        new Promise<Omit<PageLoad, 'problems'>>((resolve) => {
          // Two frames: the first after load is laid out and painted by the time the second starts.
          requestAnimationFrame(() =>
            requestAnimationFrame(() => {
              const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
              const fcp = performance.getEntriesByName('first-contentful-paint')[0];
              resolve({
                loadMs: nav.loadEventEnd - nav.startTime,
                domContentLoadedMs: nav.domContentLoadedEventEnd - nav.startTime,
                ...(fcp ? { firstPaintMs: fcp.startTime } : {}),
                gridRenderedMs: performance.now(),
                cells: document.querySelectorAll('a.cell').length,
                shown: document.getElementById('shown')?.textContent ?? '',
              });
            }),
          );
        }),
    );
    return { ...t, problems };
  } finally {
    await context.close();
  }
}
