import { test, expect, Page } from '@playwright/test';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { server } from '../playwright.config';
import { ADMIN, COMMS, logIn as logInAs } from './staff';

// A hostile partner: a real HTTP server on loopback whose feeds carry script
// and event-handler payloads in titles and content. Communications staff
// follow it from the staff pages, `server sync-feeds` fetches it, and
// Chromium renders what it brought on the public timeline and in the inbox:
// nothing may execute. Each project (JavaScript off, hydrated) follows its
// own feeds.
const run = promisify(execFile);

// Every payload sets window.__pwned (or opens a dialog) if it ever runs.
function hostileRss(project: string, kind: string): string {
  const item = (n: number, title: string, body: string) => `
    <item><guid>urn:hostile:${project}:${kind}:${n}</guid>
      <title>${title}</title>
      <link>https://hostile.example/${project}/${kind}/${n}</link>
      <pubDate>Fri, 27 Nov 2026 10:00:00 GMT</pubDate>
      <description>${body}</description></item>`;
  const esc = (html: string) => html.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Hostile</title>
    ${item(1, esc(`<img src=x onerror="window.__pwned=1">Hostile ${kind} ${project} one`),
      esc(`<p onmouseover="window.__pwned=2">Hover me<script>window.__pwned=3</script></p>` +
          `<a href="javascript:window.__pwned=4">click</a><img src=x onerror="alert(5)">` +
          `<svg onload="window.__pwned=6"></svg><iframe src="javascript:alert(7)"></iframe>` +
          `<style>body{display:none}</style><form action="https://evil.example"><button>go</button></form>`))}
    ${item(2, `Hostile ${kind} ${project} two &lt;script&gt;window.__pwned=8&lt;/script&gt;`,
      `<![CDATA[<p>CDATA <b onclick="window.__pwned=9">bold</b><script>alert(10)</script></p>]]>`)}
  </channel></rss>`;
}

let partner: Server;
let base = '';

test.beforeAll(async () => {
  partner = createServer((request, response) => {
    const [, project, kind] = (request.url ?? '').split('/');
    response.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
    response.end(hostileRss(project, (kind ?? '').replace('.xml', '')));
  });
  await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(partner.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => partner.close(resolve));
});

async function logIn(page: Page, next: string, email = COMMS) {
  await logInAs(page, email, next);
}

async function follow(page: Page, url: string, partnerName: string, person: string) {
  await page.goto('/staff/feeds');
  await page.locator('#follow-feed-url').fill(url);
  await page.locator('#follow-feed-partner').fill(partnerName);
  await page.locator('#follow-feed-person').selectOption(person);
  await page.getByRole('button', { name: 'Follow', exact: true }).click();
  await expect(page.locator('.notice')).toContainText('The feed is followed');
  await expect(page.locator('.feed h2', { hasText: partnerName })).toBeVisible();
}

// Only an administrator lets a feed publish without review.
async function trustAsAdministrator(page: Page, partnerName: string) {
  await page.getByRole('button', { name: 'Log out' }).first().click();
  await logIn(page, '/staff/feeds', ADMIN);
  await expect(page.locator('#follow-feed-url')).toHaveCount(0);
  const feed = page.locator('.feed', { has: page.locator('h2', { hasText: partnerName }) });
  await feed.getByRole('button', { name: 'Trust: publish its matched entries without review' }).click();
  await expect(page.locator('.notice')).toHaveText(
    'The feed is trusted: what it brings for a person is published without review.',
  );
  // The administrator's saved session serves the other tests: not ended here.
  await page.context().clearCookies();
  await logIn(page, '/staff/feeds');
}

/// Nothing from the partner ran, and no active markup reached the page.
async function nothingExecuted(page: Page, javaScriptEnabled: boolean, dialogs: string[]) {
  const active = page.locator(
    'main script, main [onerror], main [onmouseover], main [onclick], main [onload], main iframe, main svg, main style, main form[action^="https://evil"], main a[href^="javascript:"]',
  );
  await expect(active).toHaveCount(0);
  if (javaScriptEnabled) {
    // The page's own scripts run (hydration); the partner's never do.
    // Hover and click whatever the partner's markup left, where the page shows it.
    for (const hover of await page.locator('text=Hover me').all()) await hover.hover();
    for (const bold of await page.locator('text=bold').all()) await bold.click();
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  }
  expect(dialogs).toEqual([]);
}

test('a hostile partner feed is followed, synced and rendered without anything executing', async ({ page, javaScriptEnabled }, testInfo) => {
  const project = testInfo.project.name;
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await logIn(page, '/staff/feeds');
  await follow(page, `${base}/${project}/trusted.xml`, `Trusted partner ${project}`, 'hamid-babaei');
  await follow(page, `${base}/${project}/review.xml`, `Review partner ${project}`, '');
  await trustAsAdministrator(page, `Trusted partner ${project}`);

  const { stdout } = await run(server, ['sync-feeds'], {
    env: { ...process.env, DATABASE_URL: 'sqlite://../target/e2e/lumieres.db', RUST_LOG: 'warn', FEEDS_ALLOW_PRIVATE: '1' },
  });
  expect(stdout).toMatch(/feeds fetched: \d+ new entries/);

  // The trusted feed published on Hamid Babaei's public timeline, with provenance.
  const event = page.locator('.timeline-event', { hasText: `Hostile trusted ${project} one` });
  await expect(async () => {
    await page.goto('/persons/hamid-babaei');
    await expect(event).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(event.locator('.provenance')).toHaveText(`From the feed of Trusted partner ${project}`);
  await expect(page.locator('.timeline-event', { hasText: `Hostile trusted ${project} two` })).toBeVisible();
  await nothingExecuted(page, javaScriptEnabled, dialogs);

  // The untrusted feed waits in the inbox, rendered as harmlessly.
  const entry = page.locator('.inbox-entry', { hasText: `Hostile review ${project} one` });
  await expect(async () => {
    await page.goto('/staff/inbox');
    await expect(entry).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(entry.locator('.entry-meta')).toContainText('nobody matched');
  await nothingExecuted(page, javaScriptEnabled, dialogs);

  // Published for a person staff choose, it shows where it came from.
  await entry.locator('select[name="person"]').selectOption('raif-badawi');
  await entry.locator('input[name="occurred_on"]').fill('2026-11-27');
  await entry.getByRole('button', { name: 'Publish on the timeline' }).click();
  await expect(page).toHaveURL(/\/staff\/updates\/\d+$/);
  await expect(page.locator('.notice')).toBeVisible();
  await page.goto('/persons/raif-badawi');
  const published = page.locator('.timeline-event', { hasText: `Hostile review ${project} one` });
  await expect(published.locator('.provenance')).toHaveText(`From the feed of Review partner ${project}`);
  await nothingExecuted(page, javaScriptEnabled, dialogs);

  // The other entry is dismissed and leaves the inbox.
  await page.goto('/staff/inbox');
  const other = page.locator('.inbox-entry', { hasText: `Hostile review ${project} two` });
  await other.getByRole('button', { name: 'Dismiss' }).click();
  await expect(page.locator('.notice')).toHaveText('The entry is dismissed.');
  await expect(page.locator('.inbox-entry', { hasText: `Hostile review ${project} two` })).toHaveCount(0);
});
