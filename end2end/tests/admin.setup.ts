import { test as setup, expect } from '@playwright/test';
import { ADMIN, ADMIN_SESSION, expectNoSeriousViolation, PASSWORD, setUpSecondFactor } from './staff';

// The administrator `server create-user` made has no second factor: its
// password opens its own account page only, where it sets one up. The
// session is saved for the tests that work as the administrator.
setup('the administrator sets up a second factor before anything else', async ({ page }) => {
  await page.goto('/staff/login?next=%2Fstaff%2Faccounts');
  await page.locator('#email').fill(ADMIN);
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/staff\/account#second-factor$/);
  await expect(page.locator('.second-factor-state')).toHaveText(
    'Your role needs a second factor, and you have none yet: set one up before anything else.',
  );
  const codes = await setUpSecondFactor(page, ADMIN);

  // From now on the password alone opens nothing: the code page asks.
  await page.getByRole('button', { name: 'Log out' }).first().click();
  await page.goto('/staff/login?next=%2Fstaff%2Faccounts');
  await page.locator('#email').fill(ADMIN);
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/staff\/login\/code\?next=%2Fstaff%2Faccounts$/);
  await expectNoSeriousViolation(page);
  await page.locator('#code').fill('123456');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.locator('#login-problem')).toHaveText(
    'This code is not right, or was used already. Type the code your app shows now.',
  );
  await page.locator('#code').fill(codes[0]);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/staff\/accounts$/);
  await page.context().storageState({ path: ADMIN_SESSION });
});
