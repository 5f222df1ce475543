import { expect, Page, test } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

// The staff accounts `server create-user` makes when the test server starts
// (playwright.config.ts), and what logging them in takes.
export const PASSWORD = 'a long enough passphrase';
export const ADMIN = 'e2e-admin@brussels.example';
export const COMMS = 'e2e@brussels.example';

// The administrator's session, saved by admin.setup.ts once its second
// factor is set up: a code from an app works once per 30 seconds, fewer
// logins than the tests make at once.
export const ADMIN_SESSION = '../target/e2e/admin-session.json';

// Recovery codes of the accounts the tests set up, by email: a login with
// the form spends one, as an owner without their phone would.
const recoveryCodes = new Map<string, string[]>();

// RFC 6238: the six digits an authenticator app shows for a base32 secret.
export function totp(secret: string, seconds = Date.now() / 1000): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes: number[] = [];
  let bits = 0;
  let count = 0;
  for (const c of secret.replace(/[=\s]/g, '').toUpperCase()) {
    bits = ((bits << 5) | alphabet.indexOf(c)) & 0xffff;
    count += 5;
    if (count >= 8) {
      count -= 8;
      bytes.push((bits >> count) & 0xff);
    }
  }
  const step = Buffer.alloc(8);
  step.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = createHmac('sha1', Buffer.from(bytes)).update(step).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0');
}

// On "Your account": sets up an authenticator app as its owner does (the
// secret typed into the app, a code it shows confirmed), and keeps the
// recovery codes shown once. Returns them.
export async function setUpSecondFactor(page: Page, email: string): Promise<string[]> {
  await page.goto('/staff/account#second-factor');
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await expect(page.locator('.totp-qr svg')).toBeVisible();
  await expectNoSeriousViolation(page);
  const secret = (await page.locator('.totp-secret').textContent()) ?? '';
  await page.locator('#second-factor-code').fill(totp(secret));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.locator('.second-factor-state')).toHaveText(
    'On: every login asks for a code from your authenticator app, or for your passkey.',
  );
  const codes = await page.locator('.recovery-codes li').allTextContents();
  expect(codes).toHaveLength(10);
  recoveryCodes.set(email, codes);
  return codes;
}

// axe-core, as a script in the page (so only where JavaScript runs):
// nothing serious or critical.
export async function expectNoSeriousViolation(page: Page) {
  if (test.info().project.use.javaScriptEnabled === false) return;
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`)).toEqual([]);
}

// Logs in through the form (and the code page, with a recovery code, for
// an account with a second factor), or, for the administrator, with the
// session admin.setup.ts saved; ends on `next`.
export async function logIn(page: Page, email: string, next = '/staff') {
  if (email === ADMIN) {
    const saved = JSON.parse(readFileSync(ADMIN_SESSION, 'utf8'));
    await page.context().addCookies(saved.cookies);
    await page.goto(next);
  } else {
    await page.goto(`/staff/login?next=${encodeURIComponent(next)}`);
    await page.locator('#email').fill(email);
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    const codes = recoveryCodes.get(email);
    if (codes) {
      await expect(page).toHaveURL(/\/staff\/login\/code/);
      await page.locator('#code').fill(codes.pop()!);
      await page.getByRole('button', { name: 'Log in' }).click();
    }
  }
  await expect(page).toHaveURL(new RegExp(`${next.replace(/\//g, '\\/')}$`));
}
