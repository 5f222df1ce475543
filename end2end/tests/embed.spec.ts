import { test, expect } from '@playwright/test';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

// A city's own website, on another origin (localhost on its own port, where
// Lumières is 127.0.0.1:3100): it frames the embed and shows the badge, as
// the staff action page tells it to.
const ACTION = 'solidarity-with-vahid-afkari';

async function cityWebsite(lumieres: string): Promise<{ url: string; close: () => Promise<void> }> {
  const page = `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Ville</title></head><body>
    <h1>Solidarité internationale</h1>
    <iframe src="${lumieres}/fr/actions/${ACTION}/embed" title="Action" width="100%" height="230"></iframe>
    <p><a href="${lumieres}/fr/actions/${ACTION}"><img id="badge" src="${lumieres}/actions/${ACTION}/badge.svg?lang=fr" alt="Signatures"></a></p>
  </body></html>`;
  const server = http.createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(page);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    close: () => new Promise<void>((closed) => server.close(() => closed())),
  };
}

test('a city frames the embed and shows the badge on its own site', async ({ page, baseURL }) => {
  const city = await cityWebsite(baseURL!);
  try {
    await page.goto(city.url);
    const embed = page.frameLocator('iframe');
    await expect(embed.locator('h1')).not.toBeEmpty();
    await expect(embed.locator('.signature-count')).toContainText('signatures');
    await expect(embed.locator('.for-person strong')).toHaveText('Vahid Afkari');
    // The badge is an image that loaded, in an <img>, from another origin.
    const badge = page.locator('#badge');
    await expect(badge).toBeVisible();
    expect(await badge.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    // The embed's link opens the action page, outside the frame, to sign.
    const [actionPage] = await Promise.all([
      page.context().waitForEvent('page'),
      embed.locator('a.embed-link').click(),
    ]);
    await actionPage.waitForLoadState();
    expect(actionPage.url()).toBe(`${baseURL}/fr/actions/${ACTION}`);
    await expect(actionPage.locator('h1')).not.toBeEmpty();
  } finally {
    await city.close();
  }
});
