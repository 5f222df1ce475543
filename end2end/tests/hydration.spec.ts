import { test, expect, Page } from '@playwright/test';

// Issue 31: an island hydrates the very markup the server wrote. A mismatch
// makes hydration stop with an error (the release bundle traps, the debug
// bundle says "expected a marker node"); text the island leaves to the
// server (`t_static`, `ServerOnly`) must stay as the server wrote it. Each
// page with an island is read twice: as the server writes it (JavaScript
// off) and hydrated; the islands' text must be the same and no error come.
// `make test` runs this with the release bundle and again with the debug one.
const PAGES = [
  '/actions/solidarity-with-vahid-afkari',
  '/fr/actions/solidarity-with-vahid-afkari',
  '/nl/actions/solidarity-with-dorgelesse-nguessan',
  '/persons',
  '/fr/persons?status=released',
  '/actions',
  '/nl/actions?state=open',
];

// Each island's text, without its choices: a filter's choices follow the
// data, which other tests change meanwhile; the words around them do not.
async function islandTexts(page: Page): Promise<string[]> {
  return page.locator('leptos-island').evaluateAll((islands) =>
    islands.map((island) => {
      const copy = island.cloneNode(true) as Element;
      copy.querySelectorAll('option').forEach((option) => option.remove());
      return (copy.textContent ?? '').replace(/\s+/g, ' ').trim();
    }),
  );
}

test.describe('islands', () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, 'hydration needs JavaScript');

  for (const path of PAGES) {
    test(`${path}: its islands hydrate without an error and keep the server's text`, async ({ page, browser, baseURL }) => {
      const plain = await browser.newContext({ javaScriptEnabled: false, locale: 'en-GB', baseURL });
      const written = await (async () => {
        const server = await plain.newPage();
        await server.goto(path);
        return islandTexts(server);
      })();
      await plain.close();
      expect(written.length).toBeGreaterThan(0);

      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(path);
      const roots = page.locator('leptos-island > [data-hydrated]');
      await expect(roots).toHaveCount(written.length);
      for (const root of await roots.all()) {
        await expect(root).toHaveAttribute('data-hydrated', 'true');
      }
      expect(await islandTexts(page)).toEqual(written);
      expect(errors).toEqual([]);
    });
  }
});
