import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { linkIn, mailTo } from './mail';
import { ADMIN, COMMS, logIn, PASSWORD, setUpSecondFactor } from './staff';

// The administrator and the communications account are made by
// `server create-user` when the test server starts (playwright.config.ts).
// Each project (JavaScript off, hydrated) works on its own council member and
// person, so the two never race.
async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Log out' }).first().click();
  await expect(page).toHaveURL(/\/staff\/login$/);
}

test('an admin creates a council member, who adopts a person; comms publishes "Released"', async ({ page }, testInfo) => {
  // A whole case's life, four staff logins long: more than the default 30 s
  // on a slow machine while the other project runs beside it.
  test.slow();
  const project = testInfo.project.name;
  const council = `council-${project}@brussels.example`;
  const person = `Test Person ${project === 'no-js' ? 'Nojs' : 'Hydrated'}`;
  const slug = person.toLowerCase().replace(/ /g, '-');

  // The administrator creates the council member for Brussels.
  await logIn(page, ADMIN, '/staff/accounts');
  await page.locator('#user-email').fill(council);
  await page.locator('#user-name').fill(`Council ${project}`);
  await page.locator('#user-role').selectOption('council');
  await page.locator('#user-municipality').selectOption('brussels');
  await page.locator('#user-role').selectOption('admin');
  await page.getByRole('button', { name: 'Create an account' }).click();
  // Nothing is created from a refused form, and what was typed comes back.
  await expect(page.locator('#user-municipality-error')).toHaveText('Only council members belong to a municipality.');
  await expect(page.locator('#user-email')).toHaveValue(council);
  await page.locator('#user-role').selectOption('council');
  await page.getByRole('button', { name: 'Create an account' }).click();
  await expect(page.locator('.notice')).toHaveText(
    'Account created. A one-time link to choose a password was mailed to the new staff member.',
  );
  await expect(page.locator('table.accounts')).toContainText(council);
  // The administrator's saved session serves the other tests: not ended here.
  await page.context().clearCookies();

  // The council member chooses a password through the mailed link, and is in.
  const welcome = await mailTo(council, 'choose your password');
  await page.goto(linkIn(welcome, '/staff/password?token='));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Choose your password');
  await page.locator('#password-link-new_password').fill(PASSWORD);
  await page.locator('#password-link-repeat_password').fill('short');
  await page.getByRole('button', { name: 'Save the password and log in' }).click();
  await expect(page.locator('#password-link-repeat_password-error')).toHaveText(
    'The two passwords differ: type the same one twice.',
  );
  await page.locator('#password-link-new_password').fill(PASSWORD);
  await page.locator('#password-link-repeat_password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Save the password and log in' }).click();
  await expect(page).toHaveURL(/\/staff$/);
  // A council member works only once a second factor is set up.
  await expect(page.locator('.form-problem')).toContainText('Your role needs a second factor');
  await page.goto('/staff/persons');
  await expect(page).toHaveURL(/\/staff\/account#second-factor$/);
  await setUpSecondFactor(page, council);
  await logOut(page);

  // The council member adopts a new person for Brussels.
  await logIn(page, council, '/staff/persons');
  await page.locator('#person-full_name').fill(person);
  await page.locator('#person-country').selectOption('IR');
  await expect(page.locator('fieldset#person-fr')).toHaveAttribute('lang', 'fr');
  await page.locator('#person-summary_en').fill('<p>Defender of <em>workers</em>.</p><script>alert(1)</script>');
  await page.getByLabel('Freedom to form a union').check();
  await page.locator('#person-adopted_on').fill('2026-11-27');
  await page.locator('#person-decision_reference').fill(`CC-${project}`);
  await page.getByRole('button', { name: 'Adopt' }).click();
  // Nothing about a person is public before consent is on record: refused
  // next to the box, what was typed kept (issue 29).
  await expect(page.locator('#person-is_public-error')).toContainText('Consent to publish this person’s name is not on record');
  await expect(page.locator('#person-summary_en')).toHaveValue(/Defender of/);
  await page.getByLabel('Show on the public site').uncheck();
  await page.getByRole('button', { name: 'Adopt' }).click();
  await expect(page).toHaveURL(new RegExp(`/staff/persons/${slug}$`));
  await expect(page.locator('.notice')).toContainText('Adopted.');
  // The council records what the family agreed to, then publishes.
  const nextYear = new Date(Date.now() + 365 * 864e5).toISOString().slice(0, 10);
  const consent = page.locator('form:has(#consent-given_by)');
  await page.locator('#consent-given_by').selectOption('family');
  await page.locator('#consent-given_on').fill('2026-11-27');
  for (const fact of ['name', 'portrait', 'story', 'location']) await page.locator(`#consent-covers-${fact}`).check();
  await page.locator('#consent-risk').selectOption('high');
  await page.locator('#consent-review_on').fill(nextYear);
  await consent.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('dl.consent')).toContainText('their family');
  // A portrait: a plain form with a file, which works without JavaScript.
  // The photo carries a GPS position; what is served is made anew.
  const photo = testInfo.outputPath('photo.jpg');
  execFileSync('python3', [path.join(__dirname, '..', 'images', 'photo.py'), 'make', photo]);
  await page.locator('#portrait-portrait').setInputFiles(photo);
  await page.locator('#portrait-alt_fr').fill('Portrait, de face');
  await page.locator('#portrait-alt_nl').fill('Portret, van voren');
  await page.getByRole('button', { name: 'Save the portrait' }).click();
  await expect(page.locator('.notice')).toHaveText('The portrait is saved.');
  await expect(page.locator('.staff-portrait .update-state')).toHaveText(
    'Not shown to the public: the person is private, or consent does not cover their portrait.',
  );
  if (testInfo.project.name === 'hydrated') {
    // The council's view of a case, with its adoption, consent and edit forms.
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`)).toEqual([]);
  }
  const edit = page.locator('form:has(#person-full_name)');
  await page.getByLabel('Show on the public site').check();
  await edit.getByRole('button', { name: 'Save', exact: true }).click();
  // Brussels requires French and Dutch before a person is public: refused,
  // what was typed kept, until they are written.
  await expect(page.locator('#publish-refused')).toBeVisible();
  await expect(page.locator('#person-summary_en')).toHaveValue(/Defender of/);
  await page.locator('#person-summary_fr').fill('<p>Défenseur des <em>travailleurs</em>.</p>');
  await page.locator('#person-summary_nl').fill('<p>Verdediger van <em>arbeiders</em>.</p>');
  await edit.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.locator('.notice')).toContainText('Saved.');
  await page.goto('/persons');
  await expect(page.getByRole('link', { name: person })).toBeVisible();
  await page.goto(`/persons/${slug}`);
  await expect(page.locator('.summary em')).toHaveText('workers');
  await expect(page.locator('.summary script')).toHaveCount(0);
  // The portrait, in the width the screen needs; its English words are the
  // French ones, marked as French.
  const portrait = page.locator('.person-header img.portrait');
  await expect(portrait).toHaveAttribute('alt', 'Portrait, de face');
  await expect(portrait).toHaveAttribute('lang', 'fr');
  await expect.poll(() => portrait.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  const portraitSrc = await portrait.evaluate((img: HTMLImageElement) => new URL(img.currentSrc).pathname);
  await page.goto('/staff');
  await logOut(page);

  // Communications writes "Released" in French; Brussels also requires Dutch,
  // so publishing waits for it.
  await logIn(page, COMMS, `/staff/persons/${slug}`);
  await page.getByRole('link', { name: 'Write a status update' }).click();
  await page.locator('#status-update-occurred_on').fill('2026-11-28');
  await page.locator('#status-update-status').selectOption('released');
  await page.locator('#status-update-original_language').selectOption('fr');
  await expect(page.locator('fieldset#status-update-fr')).toHaveAttribute('lang', 'fr');
  await page.locator('#status-update-title_fr').fill('Libéré');
  await page.locator('#status-update-body_html_fr').fill('<p>Libéré <strong>aujourd’hui</strong>.</p>');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('.update-state')).toHaveText('Draft: not public');
  await expect(page.locator('.preview strong')).toHaveText('aujourd’hui');
  await page.goto(`/persons/${slug}`);
  await expect(page.locator('.current-status')).not.toContainText('Released');
  await page.goBack();
  await expect(page.locator('.missing-translations li')).toHaveText(['Dutch: Title, Text']);
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await expect(page.locator('#publish-refused')).toContainText('Not published: write the missing translations first');
  await page.goto(`/persons/${slug}`);
  await expect(page.locator('.current-status')).not.toContainText('Released');
  await page.goBack();
  await page.locator('#status-update-title_nl').fill('Vrijgelaten');
  await page.locator('#status-update-body_html_nl').fill('<p>Vandaag <strong>vrijgelaten</strong>.</p>');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('.missing-translations')).toHaveCount(0);
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await expect(page.locator('.notice')).toHaveText('Published: the update is on the public timeline.');

  // Each language shows its text; English, untranslated, shows the French
  // original marked as French, with a note.
  await page.goto(`/nl/persons/${slug}`);
  await expect(page.locator('.current-status')).toContainText('Vrijgelaten');
  await expect(page.locator('.timeline-event h3')).toHaveText(['Vrijgelaten']);
  await expect(page.locator('.timeline-event .untranslated')).toHaveCount(0);
  await page.goto(`/en/persons/${slug}`);
  await expect(page.locator('.current-status')).toContainText('Released');
  await expect(page.locator('.timeline')).toContainText('28 November 2026');
  const title = page.locator('.timeline-event h3');
  await expect(title).toHaveText(['Libéré']);
  await expect(title).toHaveAttribute('lang', 'fr');
  await expect(page.locator('.timeline-event .event-body')).toHaveAttribute('lang', 'fr');
  await expect(page.locator('.timeline-event .untranslated')).toHaveText('Not yet translated: original in French.');
  await page.goto('/staff');
  await logOut(page);

  // The risk changes: the council takes the case down (issue 29), and at
  // once the public page says only that it is no longer shown.
  await logIn(page, council, `/staff/persons/${slug}`);
  await page.locator('#take-down-reason').fill('The family asked us to, after a new charge.');
  await page.getByRole('button', { name: 'Take the case down' }).click();
  await expect(page.locator('#take-down-confirm-error')).toHaveText('Tick the box to confirm: a take-down cannot be undone by you.');
  await expect(page.locator('#take-down-reason')).toHaveValue('The family asked us to, after a new charge.');
  await page.getByLabel(/I understand: the case disappears everywhere/).check();
  await page.getByRole('button', { name: 'Take the case down' }).click();
  await expect(page.locator('.notice')).toHaveText('The case is taken down: it is no longer shown anywhere.');
  await expect(page.locator('.take-down-state')).toContainText('Taken down on');
  const gone = await page.goto(`/fr/persons/${slug}`);
  expect(gone?.status()).toBe(410);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Plus affiché');
  await expect(page.locator('main')).not.toContainText(person);
  expect((await page.request.get(portraitSrc)).status()).toBe(404);
});

test('staff record paper signatures, the delivery and the response; the public page shows them in French and Dutch', async ({ page, javaScriptEnabled }, testInfo) => {
  // The end of an action's life, page after page in three languages.
  test.slow();
  const action = `e2e-delivery-${testInfo.project.name}`;
  const today = new Date().toISOString().slice(0, 10);
  await logIn(page, ADMIN, `/staff/actions/${action}`);

  // A batch of paper signatures: a count, a day, a place, where the sheets are.
  await page.locator('#paper-signatures').fill('0');
  await page.locator('#paper-collected_on').fill(today);
  await page.locator('#paper-place').fill('Marché de Noël');
  await page.locator('#paper-kept_at').fill('Hôtel de Ville, bureau 2.14');
  await page.getByRole('button', { name: 'Record the batch' }).click();
  await expect(page.locator('#paper-signatures-error')).toHaveText('Write a whole number from 1 to 1,000,000.');
  await expect(page.locator('#paper-kept_at')).toHaveValue('Hôtel de Ville, bureau 2.14');
  await page.locator('#paper-signatures').fill('40');
  await page.getByRole('button', { name: 'Record the batch' }).click();
  await expect(page.locator('.notice')).toHaveText('The batch of paper signatures is recorded.');
  await expect(page.locator('.paper-totals')).toHaveText('0 confirmed online + 40 on paper = 40 in all.');

  // The delivery, written in French.
  await page.locator('#delivery-delivered_on').fill(today);
  await page.locator('#delivery-recipient').fill('Ambassade d’Iran');
  await page.locator('#delivery-method').selectOption('embassy');
  await page.locator('#delivery-language').selectOption('fr');
  await page.locator('#delivery-note_html').fill('<p>Remises en mains propres.</p>');
  await page.getByRole('button', { name: 'Record the delivery' }).click();
  await expect(page.locator('.notice')).toHaveText('The delivery is recorded; the action is closed for good.');
  await expect(page.getByRole('button', { name: 'Reopen the action' })).toHaveCount(0);

  await page.goto(`/fr/actions/${action}`);
  await expect(page.locator('#delivery-heading')).toHaveText('Signatures remises');
  await expect(page.locator('.delivery dd')).toHaveText([/\d{4}/, 'Ambassade d’Iran', 'À l’ambassade', /^40 \(0 en ligne et 40 sur papier\)$/]);
  await expect(page.locator('.delivery-note')).toHaveText('Remises en mains propres.');
  await expect(page.locator('#progress-heading')).toHaveText('Décompte final');
  await expect(page.locator('form.sign-form, #sign-form')).toHaveCount(0);
  await page.goto(`/nl/actions/${action}`);
  await expect(page.locator('.action-closed')).toHaveText('De handtekeningen zijn overhandigd: deze actie neemt geen handtekeningen meer aan.');
  await expect(page.locator('.delivery dd').nth(2)).toHaveText('Op de ambassade');
  await expect(page.locator('.delivery dd').nth(1)).toHaveAttribute('lang', 'fr');
  await expect(page.locator('.delivery .untranslated')).toHaveText('Geschreven in het Frans.');
  await expect(page.locator('.count-breakdown')).toHaveText('0 online en 40 op papier');

  // The addressee's response, in French with a Dutch summary (the staff
  // page in English again: the Dutch page set the language cookie).
  await page.goto(`/en/staff/actions/${action}`);
  await page.locator('#response-responded_on').fill(today);
  await page.locator('#response-original_language').selectOption('fr');
  await page.locator('#response-summary_fr').fill('L’ambassade accuse réception.');
  await page.locator('#response-body_html_fr').fill('<p>Nous avons <em>bien reçu</em> vos signatures.</p>');
  await page.locator('#response-summary_nl').fill('De ambassade bevestigt de ontvangst.');
  await page.getByRole('button', { name: 'Record the response' }).click();
  await expect(page.locator('.notice')).toHaveText(
    'The response is recorded; signers who asked to be kept informed are told by mail.',
  );
  await page.goto(`/fr/actions/${action}`);
  await expect(page.locator('#response-heading')).toHaveText('Réponse');
  await expect(page.locator('.response-summary')).toHaveText('L’ambassade accuse réception.');
  await expect(page.locator('.response-text em')).toHaveText('bien reçu');
  await page.goto(`/nl/actions/${action}`);
  await expect(page.locator('.response-summary')).toHaveText('De ambassade bevestigt de ontvangst.');
  await expect(page.locator('.response-text')).toHaveAttribute('lang', 'fr');
  if (javaScriptEnabled) {
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`)).toEqual([]);
  }
});

test('an anonymous visitor gets the login page for every staff URL', async ({ page }) => {
  for (const path of [
    '/staff',
    '/staff/accounts',
    '/staff/audit',
    '/staff/data-requests',
    '/staff/municipalities',
    '/staff/persons',
    '/staff/persons/vahid-afkari',
    '/staff/persons/vahid-afkari/updates/new',
    '/staff/updates/1',
    '/staff/translate/update/1/nl',
    '/staff/actions/solidarity-with-vahid-afkari',
    '/staff/feeds',
    '/staff/inbox',
    '/fr/staff/persons',
    '/nl/staff/accounts',
  ]) {
    await page.goto(path);
    const login = path.startsWith('/fr') ? '/fr/staff/login' : path.startsWith('/nl') ? '/nl/staff/login' : '/staff/login';
    expect(new URL(page.url()).pathname, path).toBe(login);
    expect(decodeURIComponent(new URL(page.url()).searchParams.get('next') ?? ''), path).toBe(path);
    await expect(page.locator('#password')).toBeVisible();
  }
});

// Every staff page, as the role that works on it sees it.
for (const [who, path] of [
  [COMMS, '/staff'],
  [ADMIN, '/staff/accounts'],
  [ADMIN, '/staff/audit'],
  [ADMIN, '/staff/data-requests'],
  [ADMIN, '/staff/municipalities'],
  [ADMIN, '/staff/requests'],
  [COMMS, '/staff/persons'],
  [COMMS, '/staff/persons/vahid-afkari'],
  [COMMS, '/staff/persons/vahid-afkari/updates/new'],
  [COMMS, '/staff/updates/1'],
  [COMMS, '/nl/staff/updates/1'],
  [COMMS, '/staff/translations'],
  [COMMS, '/staff/translate/update/1/fr'],
  [ADMIN, '/staff/actions/solidarity-with-vahid-afkari'],
  [COMMS, '/staff/feeds'],
  [COMMS, '/staff/inbox'],
  [COMMS, '/staff/account'],
  [ADMIN, '/staff/feeds'],
]) {
  test(`axe finds no serious or critical violation on ${path} for ${who}`, async ({ page, javaScriptEnabled }) => {
    test.skip(!javaScriptEnabled, 'axe-core runs as a script in the page');
    await logIn(page, who, path);
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`)).toEqual([]);
  });
}
