import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mailTo } from './mail';

const FIVE = ["Dorgelesse N'guessan", 'Hamid Babaei', 'Loujain al-Hathloul', 'Raif Badawi', 'Vahid Afkari'];

// With JavaScript on, a page is ready once its islands have hydrated; any
// error thrown in the browser fails the test.
async function open(page: Page, path: string, javaScript: boolean) {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(path);
  if (javaScript && (await page.locator('form.filters').count()) > 0) {
    await expect(page.locator('form.filters')).toHaveAttribute('data-hydrated', 'true');
  }
  return errors;
}

test('home lists the five Brussels persons', async ({ page, javaScriptEnabled }) => {
  const errors = await open(page, '/', javaScriptEnabled);
  // staff_work.spec.ts adopts more persons on the same server, maybe meanwhile.
  await expect(page.locator('.person-card .person-name').filter({ hasNotText: 'Test Person' })).toHaveText(FIVE);
  await expect(page.locator('[data-person="loujain-al-hathloul"] .status')).toHaveText('Released');
  expect(errors).toEqual([]);
});

test("Loujain al-Hathloul's timeline is in date order and she is released", async ({ page, javaScriptEnabled }) => {
  await open(page, '/persons/loujain-al-hathloul', javaScriptEnabled);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Loujain al-Hathloul');
  await expect(page.locator('.current-status .status')).toHaveText('Released');
  await expect(page.locator('.timeline time')).toHaveText(['2014', 'May 2018', '28 December 2020', '10 February 2021']);
  await expect(page.locator('.timeline h3')).toHaveText([
    'First arrested',
    'Detained',
    'Sentenced to 5 years and 8 months in prison',
    'Released',
  ]);
  await expect(page).toHaveTitle('Loujain al-Hathloul · Lumières');
});

test('a rights category filter narrows the list', async ({ page, javaScriptEnabled }) => {
  await open(page, '/persons', javaScriptEnabled);
  // On a wide screen the filters sit side by side, not one under the other.
  const first = await page.getByLabel('Right at stake').boundingBox();
  const second = await page.getByLabel('Status').boundingBox();
  expect(second!.y).toBe(first!.y);
  expect(second!.x).toBeGreaterThan(first!.x + first!.width);
  await expect(page.locator('.person-card').filter({ hasNotText: 'Test Person' })).toHaveCount(5);
  await page.getByLabel('Right at stake').selectOption({ label: 'Equality between women and men' });
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.locator('.person-card .person-name')).toHaveText(['Loujain al-Hathloul']);
  await expect(page.locator('.result-count')).toHaveText('1 person');
  const url = new URL(page.url());
  expect(url.searchParams.get('rights')).toBe('gender-equality');
  if (javaScriptEnabled) {
    // The island leaves empty filters out of the address people share.
    expect(url.search).toBe('?rights=gender-equality');
  }
  // The filtered list is a link: opening it again gives the same list.
  await open(page, url.pathname + url.search, javaScriptEnabled);
  await expect(page.locator('.person-card .person-name')).toHaveText(['Loujain al-Hathloul']);
});

test('switching to French shows French dates, and Dutch Dutch ones', async ({ page, javaScriptEnabled }) => {
  await open(page, '/persons/loujain-al-hathloul', javaScriptEnabled);
  await page.getByRole('link', { name: 'Français' }).click();
  await expect(page).toHaveURL(/\/fr\/persons\/loujain-al-hathloul$/);
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await expect(page.locator('.timeline time')).toHaveText(['2014', 'mai 2018', '28 décembre 2020', '10 février 2021']);
  await expect(page.locator('.current-status .status')).toHaveText('Libéré·e');
  // The choice sticks for an address without a language prefix.
  await open(page, '/persons', javaScriptEnabled);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Personnes');
  await page.getByRole('link', { name: 'Nederlands' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Personen');
  await page.getByRole('link', { name: 'Loujain al-Hathloul' }).click();
  await expect(page.locator('.timeline time').nth(1)).toHaveText('mei 2018');
});

test('an unknown person gets a 404 page', async ({ page }) => {
  const response = await page.goto('/persons/nobody');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
});

test('a citizen reaches the signing form from the home page in one click, and finds every action', async ({ page, javaScriptEnabled }) => {
  await open(page, '/', javaScriptEnabled);
  // The open actions come first, before the persons.
  await expect(page.locator('main h2').first()).toHaveText('Sign now');
  await page.getByRole('link', { name: "Sign: Solidarity with Dorgelesse N'guessan" }).click();
  await expect(page).toHaveURL(/\/actions\/solidarity-with-dorgelesse-nguessan#sign$/);
  await expect(page.getByLabel('Your name')).toBeInViewport();
  if (javaScriptEnabled) {
    await expect(page.locator('section.sign')).toHaveAttribute('data-hydrated', 'true');
  }
  // The menu leads to every action, filtered without JavaScript too.
  await page.getByRole('link', { name: 'Actions', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Support actions');
  if (javaScriptEnabled) {
    await expect(page.locator('form.filters')).toHaveAttribute('data-hydrated', 'true');
  }
  await page.getByLabel('State').selectOption({ label: 'Open for signatures' });
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.locator('.action-card .state').first()).toContainText('open');
  const url = new URL(page.url());
  expect(url.searchParams.get('state')).toBe('open');
  if (javaScriptEnabled) {
    expect(url.search).toBe('?state=open');
  }
  await expect(page.locator('[data-action="solidarity-with-vahid-afkari"] .for-person')).toHaveText('For Vahid Afkari');
});

const PUBLIC_PAGES = [
  '/',
  '/actions',
  '/nl/actions?state=open',
  '/persons',
  '/persons?rights=gender-equality',
  '/persons/loujain-al-hathloul',
  '/persons/vahid-afkari',
  '/municipalities/brussels',
  '/rights/gender-equality',
  '/fr',
  '/fr/persons/raif-badawi',
  '/nl/persons/hamid-babaei',
  '/persons?status=free',
  '/persons/nobody',
  '/actions/solidarity-with-vahid-afkari',
  '/fr/actions/solidarity-with-vahid-afkari',
  '/privacy',
  '/my-data',
  '/nl/my-data?sent=1',
  '/my-data/view?token=unknown',
  '/accessibility',
  '/fr/accessibility',
  '/api',
  '/nl/api',
  '/fr/actions/solidarity-with-vahid-afkari/embed',
  '/signatures/confirm?token=unknown',
  '/signatures/unsubscribe?token=unknown',
  '/follows/confirm?token=unknown',
  '/persons/vahid-afkari?follow=sent',
  '/staff/login',
  '/staff/password/forgot',
  '/staff/password?token=unknown',
  '/search?q=hathloul',
  '/fr/search?q=d%C3%A9tenues',
  '/nl/search?q=zzyzx',
];

for (const path of PUBLIC_PAGES) {
  test(`axe finds no serious or critical violation on ${path}`, async ({ page, javaScriptEnabled }) => {
    // axe runs inside the page, so it needs JavaScript; the HTML it checks is
    // the same server-rendered HTML the no-js project gets.
    test.skip(!javaScriptEnabled, 'axe-core runs as a script in the page');
    await open(page, path, javaScriptEnabled);
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(bad).toEqual([]);
  });
}

test('the box in the header finds a person by part of a name, and leads to their page', async ({ page, javaScriptEnabled }) => {
  await open(page, '/fr/actions', javaScriptEnabled);
  const box = page.locator('header').getByRole('searchbox', { name: 'Rechercher dans les dossiers' });
  await box.fill('hathl');
  await box.press('Enter');
  await expect(page).toHaveURL(/\/fr\/search\?q=hathl$/);
  await expect(page.locator('.search-hit h2').first()).toHaveText('Loujain al-Hathloul');
  await expect(page.locator('.search-hit h2 mark').first()).toHaveText('Hathloul');
  // Words in the reader's language, through its stemmer, with a filter.
  await page.locator('main').getByRole('searchbox').fill('détenues');
  await page.locator('main').getByLabel('Statut').selectOption({ label: 'Libéré·e' });
  await page.locator('main').getByRole('button', { name: 'Rechercher' }).click();
  await expect(page.locator('.search-hit h2 mark')).toHaveText(['Détenue']);
  await page.locator('.search-hit h2 a').first().click();
  await expect(page).toHaveURL(/\/fr\/persons\/loujain-al-hathloul#timeline-heading$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Loujain al-Hathloul');
});

test('a person page leads to their support action and its progress', async ({ page, javaScriptEnabled }) => {
  await open(page, '/persons/dorgelesse-nguessan', javaScriptEnabled);
  await page.getByRole('link', { name: "Solidarity with Dorgelesse N'guessan" }).click();
  await expect(page).toHaveURL(/\/actions\/solidarity-with-dorgelesse-nguessan$/);
  await expect(page.locator('.signature-count')).toHaveText('0 of 1,000 signatures');
  await expect(page.locator('progress')).toHaveAttribute('max', '1000');
});

// A page with no island downloads no JavaScript and no wasm at all; the
// action page, which has one, still hydrates it (signing.spec.ts signs there).
test('a person page loads no script nor wasm; the action page loads its island', async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, 'what the browser downloads with JavaScript on');
  const scripts: string[] = [];
  page.on('request', (r) => {
    if (/\.(js|wasm)(\?|$)/.test(new URL(r.url()).pathname)) scripts.push(r.url());
  });
  await page.goto('/persons/loujain-al-hathloul');
  await page.waitForLoadState('networkidle');
  expect(scripts).toEqual([]);
  await page.goto('/actions/solidarity-with-vahid-afkari');
  await expect(page.locator('section.sign')).toHaveAttribute('data-hydrated', 'true');
  expect(scripts.some((url) => url.endsWith('.wasm'))).toBe(true);
});

test('every footer leads to the accessibility statement, whose form reaches the administrators', async ({ page, javaScriptEnabled }) => {
  await open(page, '/nl/persons/hamid-babaei', javaScriptEnabled);
  await page.locator('.site-footer').getByRole('link', { name: 'Toegankelijkheid' }).click();
  await expect(page).toHaveURL(/\/nl\/accessibility$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Toegankelijkheidsverklaring');
  // The page named makes this run's mail the one to find.
  const where = `/nl/persons/hamid-babaei (${javaScriptEnabled ? 'js' : 'no-js'} ${Date.now()})`;
  await page.getByLabel('Wat probeerde u te doen').fill('De tijdlijn is moeilijk te volgen met een schermlezer.');
  await page.getByLabel('Betrokken pagina').fill(where);
  await page.getByRole('button', { name: 'Versturen' }).click();
  await expect(page.getByRole('status')).toHaveText('Dank u: uw bericht is naar de beheerders van de site gestuurd.');
  const mail = await mailTo('e2e-admin@brussels.example', where);
  expect(mail.body).toContain('De tijdlijn is moeilijk te volgen met een schermlezer.');
});
