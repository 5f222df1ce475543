import { test, expect } from '@playwright/test';
import { expectNoSeriousViolation } from './staff';

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

// Passkeys need JavaScript and, in Chromium, a name rather than an IP
// address: the test opens the site as `localhost` (the server's relying
// party on loopback), with a virtual authenticator (CDP), as a staff member
// with a fingerprint reader would.
test('a passkey is added on "Your account" and is the second step of the next login', async ({ browser }, testInfo) => {
  test.skip(testInfo.project.use.javaScriptEnabled === false, 'passkeys need JavaScript');
  const email = 'e2e-passkey@brussels.example';
  const port = new URL(testInfo.project.use.baseURL!).port;
  const context = await browser.newContext({ baseURL: `http://localhost:${port}` });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });

  const logInWithPassword = async () => {
    await page.goto('/staff/login?next=%2Fstaff');
    await page.locator('#email').fill(email);
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
  };
  await logInWithPassword();
  await expect(page).toHaveURL(/\/staff$/);

  await page.goto('/staff/account#second-factor');
  await expect(page.locator('.passkey-ceremony fieldset')).toBeEnabled();
  await page.locator('#passkey-name').fill('Fingerprint reader');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.locator('.passkeys li strong')).toHaveText(['Fingerprint reader']);
  await expect(page.locator('.recovery-codes li')).toHaveCount(10);
  await expect(page.locator('.second-factor-state')).toHaveText(
    'On: every login asks for a code from your authenticator app, or for your passkey.',
  );
  await expectNoSeriousViolation(page);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);

  // The next login: the password, then the passkey.
  await page.getByRole('button', { name: 'Log out' }).first().click();
  await logInWithPassword();
  await expect(page).toHaveURL(/\/staff\/login\/code/);
  await expectNoSeriousViolation(page);
  await page.getByRole('button', { name: 'Log in with your passkey' }).click();
  await expect(page).toHaveURL(/\/staff$/);
  await expect(page.locator('.logged-in')).toHaveText('Logged in as E2E Passkey (communications)');
  const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(after.credentials[0].signCount).toBeGreaterThan(credentials[0].signCount);
  await context.close();
});
