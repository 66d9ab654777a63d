import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/**
 * Renders the PNG icons (install prompts and iOS want bitmaps) from the SVGs
 * in public/. Run after changing an SVG: `npx tsx scripts/render-icons.ts`.
 */

const publicDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'public');
const targets = [
  { svg: 'icon.svg', png: 'icon-192.png', size: 192 },
  { svg: 'icon.svg', png: 'icon-512.png', size: 512 },
  // iOS rounds the corners itself: the full-bleed maskable art fits it.
  { svg: 'icon-maskable.svg', png: 'apple-touch-icon.png', size: 180 },
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  for (const t of targets) {
    const page = await browser.newPage({ viewport: { width: t.size, height: t.size } });
    const svg = fs.readFileSync(path.join(publicDir, t.svg), 'utf8');
    await page.setContent(
      `<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${t.size}" height="${t.size}" `)}</body></html>`,
    );
    await page.screenshot({ path: path.join(publicDir, t.png), omitBackground: true });
    await page.close();
    console.log(`${t.png} (${t.size}px)`);
  }
} finally {
  await browser.close();
}
