import { defineConfig } from '@playwright/test';

// The server on its own port and its own fresh SQLite database with the demo
// data. Every test runs twice: JavaScript off (plain HTML forms) and on
// (islands hydrated). `make test` runs the server binary its Rust tests built
// (target/debug) with the release browser bundle: a release build of the
// server took a third of CI's time; `make run` and `make bench` use it.
export const server = process.env.LUMIERES_SERVER ?? '../target/debug/server';
const port = 3100;
export const smtpPort = 3125;
export const maildir = '../target/e2e-maildir';

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  workers: 2,
  reporter: [['list']],
  forbidOnly: !!process.env.CI,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    locale: 'en-GB',
    launchOptions: {
      // Debian's Chromium: Playwright must never download a browser here.
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    // The administrator's second factor, set up once before the rest.
    { name: 'setup', testMatch: /.*\.setup\.ts/ },
    { name: 'no-js', use: { javaScriptEnabled: false }, dependencies: ['setup'] },
    { name: 'hydrated', use: { javaScriptEnabled: true }, dependencies: ['setup'] },
  ],
  webServer: [
    {
      // A real SMTP server on loopback (aiosmtpd from PyPI): tests read the
      // mail it received from its maildir.
      command: `rm -rf ${maildir} && exec python3 -m aiosmtpd -n -l 127.0.0.1:${smtpPort} -c aiosmtpd.handlers.Mailbox ${maildir}`,
      port: smtpPort,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      // Each project signs its own action, so counts never race between them.
      command: [
        'rm -rf ../target/e2e',
        `${server} seed-demo`,
        ...['no-js', 'hydrated'].map(
          (project) =>
            `${server} action create --person vahid-afkari --slug e2e-${project} ` +
            `--title "Signing test (${project})" --text "<p>A support action made by the browser tests.</p>" ` +
            `--addressee "The test suite" --goal 100`,
        ),
        // And its own action to deliver.
        ...['no-js', 'hydrated'].map(
          (project) =>
            `${server} action create --person vahid-afkari --slug e2e-delivery-${project} ` +
            `--title "Delivery test (${project})" --text "<p>A support action the browser tests deliver.</p>" ` +
            `--addressee "The test suite" --goal 100`,
        ),
        `printf 'a long enough passphrase\\n' | ${server} create-user --email e2e@brussels.example --role comms --name 'E2E Comms'`,
        `printf 'a long enough passphrase\\n' | ${server} create-user --email e2e-admin@brussels.example --role admin --name 'E2E Admin'`,
        // Its own account for the passkey test: a passkey changes how it logs in.
        `printf 'a long enough passphrase\\n' | ${server} create-user --email e2e-passkey@brussels.example --role comms --name 'E2E Passkey'`,
        `exec ${server} serve`,
      ].join(' && '),
      url: `http://127.0.0.1:${port}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        DATABASE_URL: 'sqlite://../target/e2e/lumieres.db',
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        // `make e2e-debug-hydration` runs the hydration test with the debug bundle
        // (target/site-debug).
        LEPTOS_SITE_ROOT: process.env.LUMIERES_SITE ?? '../target/site',
        OUTBOX_DIR: '../target/e2e/outbox',
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        MAIL_FROM: 'Lumières <lumieres@example.org>',
        // Every test signs and logs in from 127.0.0.1; the limits themselves
        // are tested in server/tests.
        SIGNING_RATE_LIMIT_PER_MINUTE: '1000',
        LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
        // The hostile partner feeds are served from loopback, and fetched
        // only when a test runs `server sync-feeds`: a feed is trusted by an
        // administrator after communications followed it, and no fetch may
        // come in between.
        FEEDS_ALLOW_PRIVATE: '1',
        FEED_WORKER: '0',
        RUST_LOG: 'warn',
      },
    },
  ],
});
