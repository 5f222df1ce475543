import { test, expect } from '@playwright/test';
import { linkIn, mailTo } from './mail';

// Issue 31: a citizen follows a case from its page without signing (in
// Dutch, a weekly digest), confirms from the mail, and the link's page says
// the news will come; with JavaScript on and off.
test('a citizen follows a case without signing and confirms it by mail', async ({ page }, info) => {
  const address = `follow.${info.project.name}@example.org`;
  await page.goto('/nl/persons/raif-badawi');
  const follow = page.locator('section.follow');
  await expect(follow.getByRole('heading', { level: 2 })).toHaveText('Deze zaak volgen');
  await follow.getByLabel('E-mailadres').fill(address);
  await follow.getByLabel('Eén mail per week, als er nieuws is').check();
  await follow.getByRole('button', { name: 'Stuur me het nieuws over deze zaak' }).click();
  await expect(page).toHaveURL(/\/nl\/persons\/raif-badawi\?follow=sent#follow$/);
  await expect(page.locator('section.follow').getByRole('status')).toContainText('Bijna klaar');

  const link = linkIn(await mailTo(address, 'Bevestig: nieuws over Raif Badawi'), '/follows/confirm?token=');
  expect(link).toMatch(/^\/nl\/follows\/confirm\?token=/);
  await page.goto(link);
  await expect(page.locator('.token-state')).toHaveAttribute('data-state', 'pending');
  await page.getByRole('button', { name: 'Ja, stuur me het nieuws' }).click();
  await expect(page.locator('.token-state')).toHaveAttribute('data-state', 'confirmed');
  await expect(page.locator('.token-cadence')).toHaveText('Eén mail per week, als er nieuws is');
});
