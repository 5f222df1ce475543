import { expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { maildir } from '../playwright.config';

export type Mail = { to: string; from: string; subject: string; body: string };

// The mail the SMTP sink received, decoded by Python's MIME parser.
function received(): Mail[] {
  return JSON.parse(execFileSync('python3', ['mail/read_maildir.py', maildir], { encoding: 'utf8' }));
}

// The first mail to `recipient` whose subject contains `subject`, once it arrives.
export async function mailTo(recipient: string, subject = ''): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(() => (found = received().find((m) => m.to === recipient && m.subject.includes(subject))), {
      timeout: 15_000,
    })
    .toBeTruthy();
  return found!;
}

// The path and query of the first link in a mail whose address contains `marker`.
export function linkIn(mail: Mail, marker: string): string {
  const url = mail.body.split(/\s+/).find((w) => w.includes(marker));
  expect(url, mail.body).toBeTruthy();
  return new URL(url!).pathname + new URL(url!).search;
}
