import { test, expect, Page } from '@playwright/test';
import { linkIn, mailTo } from './mail';

async function confirmedCount(page: Page, path: string): Promise<number> {
  await page.goto(path);
  const text = await page.locator('.signature-count').innerText();
  return Number(text.split(/\s/)[0].replace(/\D/g, ''));
}

async function openForm(page: Page, path: string, javaScript: boolean) {
  await page.goto(path);
  if (javaScript) {
    await expect(page.locator('section.sign')).toHaveAttribute('data-hydrated', 'true');
  }
}

async function fill(page: Page, name: string, email: string) {
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Your email address').fill(email);
  await page.getByLabel('Municipality or postcode').fill('1000');
  await page.getByLabel('Country').selectOption({ label: 'Belgium' });
  await page.getByLabel(/I agree that my signature is kept/).check();
}

test('errors come back next to their fields, in French, with the typed values', async ({ page, javaScriptEnabled }, info) => {
  const path = `/fr/actions/e2e-${info.project.name}`;
  await openForm(page, path, javaScriptEnabled);
  await page.getByLabel('Votre adresse e-mail').fill('pas-une-adresse');
  await page.getByLabel('Commune ou code postal').fill('Ixelles');
  let pageLoads = 0;
  page.on('load', () => pageLoads++);
  await page.getByRole('button', { name: 'Signer' }).click();
  await expect(page.locator('#full_name-error')).toHaveText('Indiquez votre nom.');
  await expect(page.locator('#email-error')).toHaveText('Indiquez une adresse e-mail comme nom@example.org.');
  await expect(page.locator('#consent-error')).toContainText('Cochez cette case');
  await expect(page.getByLabel('Votre adresse e-mail')).toHaveValue('pas-une-adresse');
  await expect(page.getByLabel('Commune ou code postal')).toHaveValue('Ixelles');
  await expect(page.getByLabel('Votre adresse e-mail')).toHaveAttribute('aria-invalid', 'true');
  // Without JavaScript the browser posts and is sent back (one page load);
  // the island answers in place (none). The errors are in the page before its
  // `load` event fires (the styles still loading), so the count is awaited.
  if (javaScriptEnabled) {
    expect(pageLoads).toBe(0);
  } else {
    await expect.poll(() => pageLoads).toBe(1);
  }
  expect(new URL(page.url()).pathname).toBe(path);
});

test('sign, confirm by mail, count rises once; the same address spelled otherwise does not count again; withdraw', async ({ page, javaScriptEnabled }, info) => {
  const path = `/actions/e2e-${info.project.name}`;
  const before = await confirmedCount(page, path);
  const address = `Amelie+${info.project.name}@Example.org`;

  await openForm(page, path, javaScriptEnabled);
  await fill(page, 'Amélie Dupont', address);
  await page.getByRole('button', { name: 'Sign' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Check your mail' })).toBeVisible();
  expect(await confirmedCount(page, path)).toBe(before);

  const mail = await mailTo(address);
  expect(mail.subject).toBe(`Please confirm your signature: Signing test (${info.project.name})`);
  await page.goto(linkIn(mail, '/signatures/confirm?token='));
  await expect(page.locator('.token-state')).toHaveText('Your signature counts once you confirm it.');
  await page.getByRole('button', { name: 'Confirm my signature' }).click();
  await expect(page.locator('.token-state')).toHaveText('Thank you: your signature is confirmed and counts.');
  expect(await confirmedCount(page, path)).toBe(before + 1);

  // The same person again, lowercase and without the +tag: told the same, counted once.
  await openForm(page, path, javaScriptEnabled);
  await fill(page, 'Amélie Dupont', 'amelie@example.org');
  await page.getByRole('button', { name: 'Sign' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Check your mail' })).toBeVisible();
  expect(await confirmedCount(page, path)).toBe(before + 1);

  await page.goto(linkIn(mail, '/signatures/withdraw?token='));
  await page.getByRole('button', { name: 'Withdraw my signature' }).click();
  await expect(page.locator('.token-state')).toContainText('Your signature is withdrawn');
  expect(await confirmedCount(page, path)).toBe(before);
});
