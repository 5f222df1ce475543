import { test, expect } from '@playwright/test';

// The account is made by `server create-user` when the test server starts
// (playwright.config.ts).
const EMAIL = 'e2e@brussels.example';
const PASSWORD = 'a long enough passphrase';

test('an anonymous visitor to a staff page gets the login page, and comes back after logging in', async ({ page }) => {
  await page.goto('/staff');
  await expect(page).toHaveURL(/\/staff\/login\?next=%2Fstaff$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Staff login');

  await page.getByLabel('Email address').fill(EMAIL);
  await page.getByLabel('Password').fill('not the passphrase');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong email address or password.');
  await expect(page.getByLabel('Email address')).toHaveValue(EMAIL);

  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/staff$/);
  await expect(page.locator('.logged-in')).toHaveText('Logged in as E2E Comms (communications)');

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/staff\/login$/);
  await page.goto('/fr/staff');
  await expect(page).toHaveURL(/\/fr\/staff\/login\?next=%2Ffr%2Fstaff$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Connexion du personnel');
});
