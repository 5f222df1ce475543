import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { readFileSync } from 'node:fs';
import { linkIn, mailTo } from './mail';

// Issue 30: a signer finds the page from any footer, asks in French for what
// the site holds about their address, opens the mailed link, downloads it,
// and erases it all; their confirmed signature keeps counting.
test('a signer sees, downloads and erases what is held about their address', async ({ page, javaScriptEnabled }, info) => {
  const action = `/actions/e2e-${info.project.name}`;
  const address = `data.${info.project.name}@example.org`;
  const count = async () => {
    await page.goto(action);
    return Number((await page.locator('.signature-count').innerText()).split(/\s/)[0].replace(/\D/g, ''));
  };

  // A signature, confirmed.
  await page.goto(action);
  if (javaScriptEnabled) {
    await expect(page.locator('section.sign')).toHaveAttribute('data-hydrated', 'true');
  }
  await page.getByLabel('Your name').fill('Amélie Données');
  await page.getByLabel('Your email address').fill(address);
  await page.getByLabel('Municipality or postcode').fill('Ixelles');
  await page.getByLabel('Country').selectOption({ label: 'Belgium' });
  await page.getByLabel(/I agree that my signature is kept/).check();
  await page.getByRole('button', { name: 'Sign' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Check your mail' })).toBeVisible();
  await page.goto(linkIn(await mailTo(address, 'confirm'), '/signatures/confirm?token='));
  await page.getByRole('button', { name: 'Confirm my signature' }).click();
  const counted = await count();

  // The page, from the footer, in French.
  await page.goto('/fr');
  await page.locator('.site-footer').getByRole('link', { name: 'Vos données' }).click();
  await expect(page).toHaveURL(/\/fr\/my-data$/);
  await page.getByLabel('Adresse e-mail').fill(address);
  await page.getByRole('button', { name: 'M’envoyer le lien' }).click();
  await expect(page.getByRole('status')).toContainText('Un lien part vers cette adresse');

  const link = linkIn(await mailTo(address, 'ce que nous gardons'), '/my-data/view?token=');
  expect(link).toMatch(/^\/fr\/my-data\/view\?token=/);
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ce que nous gardons sur vous');
  await expect(page.locator('.held h3')).toHaveText(`Signing test (${info.project.name})`);
  await expect(page.locator('.held dd').filter({ hasText: 'Amélie Données' })).toHaveCount(1);
  await expect(page.locator('.held dd').filter({ hasText: 'Ixelles' })).toHaveCount(1);
  if (javaScriptEnabled) {
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
    expect(bad).toEqual([]);
  }

  // Downloaded as a file.
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Tout télécharger (JSON)' }).click();
  const file = await (await downloading).path();
  const data = JSON.parse(readFileSync(file!, 'utf8'));
  expect(data.address).toBe(address);
  expect(data.signatures).toHaveLength(1);
  expect(data.signatures[0].name).toBe('Amélie Données');
  expect(data.signatures[0].state).toBe('Confirmed');

  // Erased: the box must be ticked first (the browser says so).
  await page.getByRole('button', { name: 'Tout effacer' }).click();
  await expect(page).toHaveURL(/\/fr\/my-data\/view\?token=/);
  await page.getByLabel('Je comprends : c’est irréversible.').check();
  await page.getByRole('button', { name: 'Tout effacer' }).click();
  await expect(page).toHaveURL(/\/fr\/my-data\?erased=1$/);
  await expect(page.getByRole('status')).toContainText('Tout ce que nous gardions sur votre adresse est effacé.');
  expect(await count()).toBe(counted);

  // The link is spent.
  await page.goto(link);
  await expect(page.locator('.token-state')).toContainText('Ce lien ne fonctionne plus');
});
