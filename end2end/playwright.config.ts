import { defineConfig } from '@playwright/test';

// The release server on its own port and its own fresh SQLite database with
// the demo data. Every test runs twice: JavaScript off (plain HTML forms) and
// on (islands hydrated).
const port = 3100;

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
    { name: 'no-js', use: { javaScriptEnabled: false } },
    { name: 'hydrated', use: { javaScriptEnabled: true } },
  ],
  webServer: {
    command:
      'rm -rf ../target/e2e && ../target/release/server seed-demo && exec ../target/release/server serve',
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      DATABASE_URL: 'sqlite://../target/e2e/lumieres.db',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: '../target/site',
      OUTBOX_DIR: '../target/e2e/outbox',
      RUST_LOG: 'warn',
    },
  },
});
