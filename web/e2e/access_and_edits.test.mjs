// A Read-only user sees but cannot edit (no edit controls, and the API answers 403); the builder works with the
// keyboard alone; an owner's edits: the warning when an edit drops an entity an activation uses, settings and the
// schedule, an alert, clone and delete.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiCall, cspViolations, launch, login, newPage, seriousViolations, shot, startKith } from './lib.mjs';

let kith, browser;
before(async () => {
  kith = await startKith();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await kith?.stop();
  assert.deepEqual(cspViolations, [], 'what the Content-Security-Policy refused');
});

describe('a Read-only user', () => {
  test('sees audiences and activations but cannot edit them', { timeout: 120_000 }, async () => {
    kith.addUser('viewer@kith.local', 'read_only', 'viewer-password-1');
    const page = await newPage(browser, kith);
    // A link to a screen asks to sign in first, then opens that screen.
    await page.goto('/audiences/premium_abandoners?tab=runs');
    await page.getByLabel('Email').fill('viewer@kith.local');
    await page.getByLabel('Password').fill('viewer-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Premium abandoners', level: 1 }).waitFor();
    assert.equal(await page.getByRole('tab', { name: 'Runs', exact: true }).getAttribute('aria-selected'), 'true');
    await page.getByTestId('runs-table').waitFor();
    await page.getByRole('link', { name: 'Audiences', exact: true }).first().click();
    await page.getByRole('link', { name: 'Premium abandoners', exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'New audience', exact: true }).count(), 0);

    await page.getByRole('link', { name: 'Premium abandoners', exact: true }).click();
    await page.getByRole('heading', { name: 'Premium abandoners', level: 1 }).waitFor();
    assert.equal(await page.getByTestId('enable-toggle').isDisabled(), true);
    for (const name of ['Run now', 'Clone', 'More actions']) assert.equal(await page.getByRole('button', { name }).count(), 0, name);
    assert.equal(await page.getByRole('link', { name: 'Add activation', exact: true }).count(), 0);

    await page.getByRole('tab', { name: 'Builder', exact: true }).click();
    await page.getByTestId('builder').waitFor();
    await page.getByText('editing needs the Engage User role').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save', exact: true }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Add condition/ }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Remove condition/ }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Duplicate condition/ }).count(), 0);
    // The definition reads as text (read-only fields, not greyed out), and nothing in it changes.
    assert.equal(await page.getByRole('textbox', { name: 'condition 1.1: filter 1 value', exact: true }).isEditable(), false);
    await page.getByRole('textbox', { name: 'condition 1.1: relationship', exact: true }).click();
    await page.waitForTimeout(300);
    assert.equal(await page.getByRole('option', { name: 'Cards (user-cards)' }).count(), 0, 'no relationship list opens');
    await page.getByRole('radiogroup', { name: 'condition 1.1: with or without', exact: true }).getByText('without').click();
    await page.getByRole('textbox', { name: 'condition 1.1: filter 1 value', exact: true }).press('End');
    await page.keyboard.type('X');
    assert.equal(await page.getByRole('textbox', { name: 'condition 1.1: filter 1 value', exact: true }).inputValue(), 'active');
    assert.equal(await page.locator('.condition-card.without').count(), 0, 'still "with"');
    // Preview still works for a reader with the profile and entity permissions.
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await page.getByTestId('preview-count').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Close preview', exact: true }).click();
    await shot(page, '12-read-only-builder');
    assert.deepEqual(await seriousViolations(page), []);

    await page.getByRole('tab', { name: 'Settings', exact: true }).click();
    assert.equal(await page.getByRole('textbox', { name: 'Name', exact: true }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Save settings', exact: true }).count(), 0);

    await page.getByRole('tab', { name: 'Overview', exact: true }).click();
    await page.getByRole('link', { name: 'abandoned_carts_to_webhook', exact: true }).click();
    await page.getByRole('heading', { name: 'abandoned_carts_to_webhook', level: 1 }).waitFor();
    assert.equal(await page.getByTestId('activation-enable').isDisabled(), true);
    for (const name of ['Save settings', 'Save enrichment', 'Save mapping', 'Send test event', 'Delete']) assert.equal(await page.getByRole('button', { name }).count(), 0, name);

    // The API refuses the same changes.
    const audience = await apiCall(page, 'GET', '/api/v1/audiences/premium_abandoners');
    assert.equal(audience.status, 200);
    const put = await apiCall(page, 'PUT', '/api/v1/audiences/premium_abandoners', { name: 'renamed' });
    assert.equal(put.status, 403);
    assert.equal((await apiCall(page, 'POST', '/api/v1/audiences/premium_abandoners/run')).status, 403);
    assert.equal((await apiCall(page, 'POST', '/api/v1/activations/abandoned_carts_to_webhook/disable')).status, 403);
    assert.equal((await apiCall(page, 'POST', '/api/v1/audiences', { key: 'x', definition: audience.json.definition })).status, 403);
    assert.equal((await apiCall(page, 'GET', '/api/v1/audiences/premium_abandoners')).json.name, 'Premium abandoners');
    await page.context().close();
  });
});

describe('an Engage User without the entity roles', () => {
  test('may run audiences but is told which role building from the data graph needs', { timeout: 120_000 }, async () => {
    kith.addUser('engager@kith.local', 'engage_user', 'engager-password-1');
    const page = await newPage(browser, kith);
    await login(page, 'engager@kith.local', 'engager-password-1');
    await page.getByRole('link', { name: 'Premium abandoners', exact: true }).click();
    await page.getByRole('button', { name: 'Run now', exact: true }).waitFor();
    await page.getByRole('tab', { name: 'Builder', exact: true }).click();
    await page.getByText('Viewing the data graph needs the Entities Read-only role').waitFor();
    assert.equal((await apiCall(page, 'GET', '/api/v1/graph')).status, 403);
    await page.context().close();
  });
});

describe('the builder with the keyboard only', () => {
  test('builds, negates, duplicates and saves an audience without the mouse', { timeout: 120_000 }, async () => {
    const page = await newPage(browser, kith);
    await login(page, kith.owner.email, kith.owner.password);
    // Tab until the element is focused (at most 80 presses), as a keyboard user would.
    const tabTo = async (locator) => {
      const handle = await locator.elementHandle();
      for (let i = 0; i < 80; i++) {
        if (await handle.evaluate((el) => el === document.activeElement || el.contains(document.activeElement))) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`could not reach ${locator} with Tab`);
    };
    await tabTo(page.getByRole('link', { name: 'New audience', exact: true }));
    await page.keyboard.press('Enter');
    await tabTo(page.getByRole('button', { name: 'Linked audience', exact: true }));
    await page.keyboard.press('Enter');
    await page.getByTestId('builder').waitFor();

    // Add a trait condition from the menu with arrow keys.
    await tabTo(page.getByRole('button', { name: 'Add condition to group 1', exact: true }));
    await page.keyboard.press('Enter');
    await page.getByRole('menu').waitFor();
    for (let i = 0; i < 6; i++) {
      if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Trait') break;
      await page.keyboard.press('ArrowDown');
    }
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Trait');
    await page.keyboard.press('Enter');
    await tabTo(page.getByRole('textbox', { name: 'condition 1.1: trait', exact: true }));
    await page.keyboard.type('plan');
    // The operator by keyboard: open the list, move down to "does not equal", pick it.
    await tabTo(page.getByRole('textbox', { name: 'condition 1.1: filter 1 operator', exact: true }));
    await page.keyboard.press('ArrowDown');
    await page.getByRole('option', { name: 'does not equal', exact: true }).waitFor();
    for (let i = 0; i < 10; i++) {
      const sel = await page.getByRole('option', { name: 'does not equal', exact: true }).getAttribute('data-combobox-selected');
      if (sel !== null) break;
      await page.keyboard.press('ArrowDown');
    }
    await page.keyboard.press('Enter');
    assert.equal(await page.getByRole('textbox', { name: 'condition 1.1: filter 1 operator', exact: true }).inputValue(), 'does not equal');
    await tabTo(page.getByRole('textbox', { name: 'condition 1.1: filter 1 value', exact: true }));
    await page.keyboard.type('free');
    await page.keyboard.press('Escape');
    // with → without, with the arrow keys of the radio group.
    await tabTo(page.getByRole('radiogroup', { name: 'condition 1.1: with or without', exact: true }));
    await page.keyboard.press('ArrowRight');
    // Duplicate it, then turn the copy back to "with" and set it to equal "pro".
    await tabTo(page.getByRole('button', { name: 'Duplicate condition 1.1', exact: true }));
    await page.keyboard.press('Enter');
    await page.getByRole('group', { name: 'condition 1.2', exact: true }).waitFor();
    await tabTo(page.getByRole('radiogroup', { name: 'condition 1.2: with or without', exact: true }));
    await page.keyboard.press('ArrowLeft');
    await tabTo(page.getByRole('textbox', { name: 'condition 1.2: filter 1 value', exact: true }));
    await page.keyboard.press('Control+A');
    await page.keyboard.type('pro');
    await page.keyboard.press('Escape');
    await page.getByText('The definition is valid.').waitFor();
    await shot(page, '13-keyboard-builder');

    await tabTo(page.getByRole('button', { name: 'Next: name and save', exact: true }));
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Name and save the audience', exact: true });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).waitFor();
    await page.keyboard.type('Keyboard made');
    await tabTo(dialog.getByRole('button', { name: 'Create audience', exact: true }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Keyboard made', level: 1 }).waitFor();
    const got = await apiCall(page, 'GET', '/api/v1/audiences/keyboard_made');
    assert.equal(got.json.definition.groups.length, 1);
    assert.deepEqual(got.json.definition.groups[0].conditions, [
      { type: 'trait', trait: 'plan', without: true, filter: { op: 'not_equals', value: 'free' } },
      { type: 'trait', trait: 'plan', filter: { op: 'not_equals', value: 'pro' } },
    ]);
    await page.context().close();
  });
});

describe('an owner edits an audience', () => {
  test('is warned when an edit removes an entity an activation uses; edits settings, alerts, clones and deletes', { timeout: 120_000 }, async () => {
    const page = await newPage(browser, kith);
    await login(page, kith.owner.email, kith.owner.password);
    await page.getByRole('link', { name: 'Premium abandoners', exact: true }).click();
    await page.getByRole('tab', { name: 'Builder', exact: true }).click();
    await page.getByTestId('builder').waitFor();
    // The demo's activation triggers on account-carts; removing that condition must warn before saving.
    await page.getByRole('button', { name: 'Remove condition 1.1.1', exact: true }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const warn = page.getByRole('dialog', { name: 'This change affects activations' });
    await warn.getByText('abandoned_carts_to_webhook uses account-carts').waitFor();
    await shot(page, '14-builder-warning');
    await warn.getByRole('button', { name: 'Keep editing', exact: true }).click();
    await page.getByRole('button', { name: 'Discard changes', exact: true }).click();
    await page.getByRole('group', { name: 'condition 1.1.1', exact: true }).waitFor();
    const stored = await apiCall(page, 'GET', '/api/v1/audiences/premium_abandoners');
    assert.equal(stored.json.version, 1, 'nothing was saved');
    // Someone else saves meanwhile: this edit is refused (If-Match), not written over theirs.
    assert.equal((await apiCall(page, 'PUT', '/api/v1/audiences/premium_abandoners', { description: 'Changed elsewhere' })).status, 200);
    await page.getByRole('textbox', { name: 'condition 1.1: count value', exact: true }).fill('3');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'This audience changed since you opened it' }).waitFor();
    assert.equal((await apiCall(page, 'GET', '/api/v1/audiences/premium_abandoners')).json.definition.groups[0].conditions[0].count, undefined);
    await page.getByRole('button', { name: 'Reload the latest version', exact: true }).click();
    await page.getByText('Changed elsewhere').waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'condition 1.1: count value', exact: true }).inputValue(), '1');
    // A real edit saves: the count qualifier of the first condition.
    await page.getByRole('textbox', { name: 'condition 1.1: count value', exact: true }).fill('2');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Audience saved').first().waitFor();
    const saved = await apiCall(page, 'GET', '/api/v1/audiences/premium_abandoners');
    assert.equal(saved.json.version, 2);
    assert.deepEqual(saved.json.definition.groups[0].conditions[0].count, { op: 'at_least', value: 2 });
    assert.deepEqual(saved.json.definition.groups[0].conditions[0].children, stored.json.definition.groups[0].conditions[0].children);

    // Settings: name and a weekly schedule.
    await page.getByRole('tab', { name: 'Settings', exact: true }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Premium abandoners (EU)');
    await page.getByRole('textbox', { name: 'Schedule', exact: true }).click();
    await page.getByRole('option', { name: 'Chosen days at a time', exact: true }).click();
    await page.getByRole('textbox', { name: 'Time zone (IANA)', exact: true }).fill('Europe/Paris');
    await page.getByRole('button', { name: 'Save settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Premium abandoners (EU)', level: 1 }).waitFor();
    const set = await apiCall(page, 'GET', '/api/v1/audiences/premium_abandoners');
    assert.deepEqual(set.json.schedule, { type: 'days', days: ['mon'], time: '09:00', timezone: 'Europe/Paris' });
    await shot(page, '15-settings');
    assert.deepEqual(await seriousViolations(page), []);

    // An in-app alert on the audience's size.
    await page.getByRole('tab', { name: 'Alerts', exact: true }).click();
    await page.getByRole('textbox', { name: 'Threshold (%)', exact: true }).fill('15');
    await page.getByRole('button', { name: 'Create alert', exact: true }).click();
    await page.getByRole('cell', { name: '15%', exact: true }).waitFor();
    const alerts = await apiCall(page, 'GET', '/api/v1/alerts');
    assert.deepEqual(
      alerts.json.items.map((a) => [a.kind, a.target, a.threshold_pct, a.channels]),
      [['audience_size', 'premium_abandoners', 15, [{ type: 'in_app' }]]],
    );
    await shot(page, '16-alerts');
    assert.deepEqual(await seriousViolations(page), []);

    // Clone, then delete the clone.
    await page.getByRole('tab', { name: 'Overview', exact: true }).click();
    await page.getByRole('button', { name: 'Clone', exact: true }).click();
    await page.getByRole('textbox', { name: 'Key of the copy', exact: true }).fill('premium_abandoners_b');
    await page.getByRole('dialog').getByRole('button', { name: 'Clone', exact: true }).click();
    await page.getByRole('heading', { name: 'Premium abandoners (EU) (copy)', level: 1 }).waitFor();
    const clone = await apiCall(page, 'GET', '/api/v1/audiences/premium_abandoners_b');
    assert.deepEqual(clone.json.definition, saved.json.definition);
    assert.equal(clone.json.enabled, false);
    await page.getByRole('button', { name: 'More actions', exact: true }).click();
    await page.getByRole('menuitem', { name: 'Delete audience', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('heading', { name: 'Audiences', level: 1 }).waitFor();
    assert.equal((await apiCall(page, 'GET', '/api/v1/audiences/premium_abandoners_b')).status, 404);
    await page.context().close();
  });
});

describe('a Braze activation', () => {
  test('its mapping lists required fields first, hides the others until asked, and its API key is never shown', { timeout: 120_000 }, async () => {
    const page = await newPage(browser, kith);
    await login(page, kith.owner.email, kith.owner.password);
    await page.getByRole('link', { name: 'Pro plan', exact: true }).click();
    await page.getByRole('link', { name: 'Add activation', exact: true }).click();
    await page.getByRole('button', { name: 'Destination braze', exact: true }).click();
    // Segment's settings, with their labels: the instance's endpoint is a choice, Segment's default first.
    const endpoint = page.getByRole('combobox', { name: 'REST Endpoint' });
    assert.equal(await endpoint.inputValue(), 'https://rest.iad-01.braze.com');
    await endpoint.selectOption('https://rest.fra-01.braze.eu');
    await page.getByLabel('API Key').fill('braze-secret-key');
    await page.getByRole('button', { name: 'Next: action', exact: true }).click();
    await page.getByLabel('Track Event', { exact: true }).check();
    await page.getByRole('button', { name: 'Next: trigger', exact: true }).click();
    await page.getByRole('button', { name: 'Next: save', exact: true }).click();
    await page.getByRole('button', { name: 'Save activation', exact: true }).click();
    await page.getByRole('heading', { name: 'pro_plan_to_braze', level: 1 }).waitFor();
    const act = await apiCall(page, 'GET', '/api/v1/activations/pro_plan_to_braze');
    assert.equal(act.json.action, 'trackEvent');
    assert.equal(act.json.destination.endpoint, 'https://rest.fra-01.braze.eu');
    assert.equal(act.json.destination.api_key, '********');
    assert.equal(await page.getByLabel('API Key').inputValue(), '********');
    // Required fields come first, each with the action's default mapping.
    const fields = page.getByRole('textbox', { name: /^Mapping of / });
    const names = async () => (await fields.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label').replace('Mapping of ', ''))));
    const shown = await names();
    assert.deepEqual(shown.slice(0, 2), ['name', 'time']);
    assert.equal(await page.getByRole('textbox', { name: 'Mapping of name', exact: true }).inputValue(), '{"@path":"$.event"}');
    // Fields without a default stay hidden until asked for.
    assert.ok(!shown.includes('user_alias'));
    await page.getByRole('switch', { name: /^Show hidden fields/ }).check();
    const all = await names();
    assert.ok(all.includes('user_alias') && all.length > shown.length);
    await shot(page, '17-braze-mapping');
    assert.deepEqual(await seriousViolations(page), []);
    await page.context().close();
  });
});

