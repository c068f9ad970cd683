// The marketer's path, by clicking: sign in, build a 3-level entity audience with an OR group, a dynamic reference
// and an event window, preview it (the count matches `kith members`), create and enable it, add a webhook activation
// with enrichment, send a test event, run now, and see the events arrive at the demo's sink and the delivery
// overview add up. Screenshots of each screen go to e2e/screenshots/; axe checks each screen.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiCall, assertHardened, cspViolations, launch, login, newPage, seriousViolations, shot, startKith } from './lib.mjs';

let kith, browser, page;
// The steps build on each other: after a failed step the next ones fail at once, naming it.
let failed = null;
function step(name, fn) {
  test(name, { timeout: 120_000 }, async () => {
    if (failed) throw new Error(`an earlier step failed: ${failed}`);
    try {
      await fn();
    } catch (e) {
      failed = name;
      await shot(page, `failed-${name.replace(/[^a-z0-9]+/gi, '-')}`).catch(() => {});
      throw e;
    }
  });
}
const ctx = {}; // what one step learns for the next

async function pick(scope, label, option) {
  await scope.getByRole('textbox', { name: label, exact: true }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

async function axe(name) {
  const v = await seriousViolations(page);
  assert.deepEqual(v, [], `axe on ${name}`);
}

describe('a marketer builds, previews, activates and delivers an audience', () => {
  before(async () => {
    kith = await startKith();
    browser = await launch();
    page = await newPage(browser, kith);
  });
  after(async () => {
    await browser?.close();
    await kith?.stop();
    assert.deepEqual(cspViolations, [], 'what the Content-Security-Policy refused');
  });

  step('signs in', async () => {
    assertHardened(await page.goto('/'));
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot(page, '01-login');
    await axe('login');
    // A wrong password is refused with a message.
    await page.getByLabel('Email').fill(kith.owner.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
    await login(page, kith.owner.email, kith.owner.password);
    // The demo's own activation would also post to the sink; keep the sink to this test's events.
    const off = await apiCall(page, 'POST', '/api/v1/activations/abandoned_carts_to_webhook/disable');
    assert.equal(off.status, 200);
    await page.getByRole('link', { name: 'Premium abandoners' }).waitFor();
    await shot(page, '02-audiences');
    await axe('audiences list');
    // Search narrows the list; folders filter it.
    await page.getByLabel('Search audiences').fill('spenders');
    await page.getByRole('link', { name: 'Premium abandoners' }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Big spenders', exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Pro plan', exact: true }).count(), 0);
    await page.getByLabel('Search audiences').fill('');
    await page.getByRole('button', { name: /Notifications/ }).click();
    await page.getByText('No notifications yet').waitFor();
    await page.getByRole('button', { name: /Notifications/ }).click();
    await page.getByText('No notifications yet').waitFor({ state: 'hidden' });
  });

  step('builds a linked audience by clicking', async () => {
    await page.getByRole('link', { name: 'New audience' }).click();
    await page.getByRole('button', { name: 'Linked audience' }).click();
    await page.getByTestId('builder').waitFor();

    // Group 1: accounts (active) → carts (TOTAL < the account's CREDIT_LIMIT) → products (in stock).
    await page.getByRole('button', { name: 'Add condition to group 1' }).click();
    await page.getByRole('menuitem', { name: 'Related entity' }).click();
    const c1 = page.getByRole('group', { name: 'condition 1.1', exact: true });
    await assertSelected(c1, 'condition 1.1: relationship', 'Accounts (user-accounts)');
    await c1.getByRole('button', { name: 'Add filter to condition 1.1' }).click();
    await pick(c1, 'condition 1.1: filter 1 column', 'STATUS · string');
    // Value suggestions come from the warehouse; free entry is kept as typed.
    const value = c1.getByRole('textbox', { name: 'condition 1.1: filter 1 value', exact: true });
    await value.click();
    await page.getByRole('option', { name: 'active', exact: true }).waitFor();
    // Matching is case-sensitive: "ACT" offers nothing, "act" offers "active".
    await value.fill('ACT');
    await page.getByRole('option', { name: 'active', exact: true }).waitFor({ state: 'hidden' });
    await value.fill('act');
    await page.getByRole('option', { name: 'active', exact: true }).click();
    assert.equal(await c1.getByLabel('condition 1.1: filter 1 value').inputValue(), 'active');

    await c1.getByRole('button', { name: 'Add related entity to condition 1.1' }).click();
    const c2 = page.getByRole('group', { name: 'condition 1.1.1', exact: true });
    await assertSelected(c2, 'condition 1.1.1: relationship', 'Carts (account-carts)');
    await c2.getByRole('button', { name: 'Add filter to condition 1.1.1' }).click();
    await pick(c2, 'condition 1.1.1: filter 1 column', 'TOTAL · number');
    // A number column offers no text operators.
    await c2.getByLabel('condition 1.1.1: filter 1 operator', { exact: true }).click();
    assert.equal(await page.getByRole('option', { name: 'contains' }).count(), 0);
    await page.getByRole('option', { name: 'is less than', exact: true }).click();
    await c2.getByRole('radiogroup', { name: 'condition 1.1.1: filter 1 compares with' }).getByText('Field').click();
    // Only number fields of this entity or its ancestors are offered.
    await c2.getByLabel('condition 1.1.1: filter 1 reference field').click();
    const offered = await page.getByRole('option').allTextContents();
    assert.ok(offered.includes('Accounts (user-accounts).CREDIT_LIMIT'), offered.join());
    assert.ok(!offered.some((o) => o.includes('STATUS') || o.includes('CURRENCY')), offered.join());
    await page.getByRole('option', { name: 'Accounts (user-accounts).CREDIT_LIMIT', exact: true }).click();

    await c2.getByRole('button', { name: 'Add related entity to condition 1.1.1' }).click();
    const c3 = page.getByRole('group', { name: 'condition 1.1.1.1', exact: true });
    await assertSelected(c3, 'condition 1.1.1.1: relationship', 'Products (cart-products)');
    await c3.getByRole('button', { name: 'Add filter to condition 1.1.1.1' }).click();
    await pick(c3, 'condition 1.1.1.1: filter 1 column', 'IN_STOCK · boolean');
    await pick(c3, 'condition 1.1.1.1: filter 1 value', 'true');

    // Group 2 (OR): an event with a window.
    await page.getByRole('button', { name: 'Add group' }).click();
    await page.getByRole('menuitem', { name: 'Event' }).click();
    const e1 = page.getByRole('group', { name: 'condition 2.1', exact: true });
    // Event names other audiences use are offered (the sample "Big spenders" counts Order Completed).
    await e1.getByRole('textbox', { name: 'condition 2.1: event', exact: true }).click();
    await page.getByRole('option', { name: 'Order Completed', exact: true }).click();
    assert.equal(await e1.getByRole('textbox', { name: 'condition 2.1: event', exact: true }).inputValue(), 'Order Completed');
    await pick(e1, 'condition 2.1: count', 'at least');
    await e1.getByLabel('condition 2.1: count value').fill('2');
    await pick(e1, 'condition 2.1: time window', 'within the last');
    await e1.getByLabel('condition 2.1: window length').fill('730');
    // An event property filter: the warehouse's catalog types total as a number.
    await e1.getByRole('button', { name: 'Add filter to condition 2.1' }).click();
    await e1.getByRole('textbox', { name: 'condition 2.1: filter 1 property name', exact: true }).fill('total');
    const valueType = e1.getByRole('textbox', { name: 'condition 2.1: filter 1 value type', exact: true });
    await page.waitForFunction((el) => el.value === 'number', await valueType.elementHandle());
    assert.equal(await valueType.getAttribute('readonly'), '');
    await pick(e1, 'condition 2.1: filter 1 operator', 'is greater than');
    await e1.getByRole('textbox', { name: 'condition 2.1: filter 1 value', exact: true }).fill('50');
    await page.getByRole('radiogroup', { name: 'Groups combine with' }).getByText('OR').click();

    // An inline error at the offending field: a count of 0 with "at least" is invalid.
    await e1.getByLabel('condition 2.1: count value').fill('0');
    await page.getByText('1 problem to fix').waitFor();
    const countError = e1.getByTestId('count-error');
    await countError.waitFor();
    assert.match(await countError.textContent(), /at_least|at least|1/);
    // The message is tied to its field for screen readers.
    const described = await e1.getByRole('textbox', { name: 'condition 2.1: count value', exact: true }).getAttribute('aria-describedby');
    assert.ok(described?.split(' ').includes(await countError.getAttribute('id')), `${described}`);
    await shot(page, '03-builder-inline-error');
    await e1.getByLabel('condition 2.1: count value').fill('2');
    await page.getByText('The definition is valid.').waitFor();

    // Duplicate a condition, then remove the copy.
    await page.getByRole('button', { name: 'Duplicate condition 2.1', exact: true }).click();
    await page.getByRole('group', { name: 'condition 2.2', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Remove condition 2.2', exact: true }).click();
    await page.getByRole('group', { name: 'condition 2.2', exact: true }).waitFor({ state: 'detached' });
    await page.getByText('The definition is valid.').waitFor();
    await shot(page, '03-builder');
    await axe('builder');
  });

  step('previews it: count, members, entities, why in / why not', async () => {
    await page.getByRole('button', { name: 'Preview' }).click();
    const count = page.getByTestId('preview-count');
    await count.waitFor({ timeout: 60_000 });
    ctx.previewCount = Number((await count.textContent()).replaceAll(',', ''));
    assert.ok(ctx.previewCount > 0, 'the audience has members');
    assert.ok((await page.getByTestId('preview-members').locator('.mantine-Paper-root').count()) > 0);
    await shot(page, '04-preview');
    await axe('preview');
    await page.getByRole('tab', { name: 'Entities' }).click();
    await page.getByRole('dialog').getByRole('textbox', { name: 'Relationship', exact: true }).click();
    await page.getByRole('option', { name: 'account-carts', exact: true }).click();
    assert.ok(Number((await page.getByTestId('entity-count').textContent()).replaceAll(',', '')) > 0);
    await page.getByRole('tab', { name: 'Why in / why not' }).click();
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.getByTestId('explanation').getByText('is in the audience').waitFor();
    await shot(page, '05-why');
    await page.getByRole('button', { name: 'Close preview' }).click();
  });

  step('creates it (disabled) and the preview count matches kith members', async () => {
    await page.getByRole('button', { name: 'Next: name and save' }).click();
    const dialog = page.getByRole('dialog', { name: 'Name and save the audience' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Shoppers under their limit');
    await dialog.getByRole('textbox', { name: 'Description', exact: true }).fill('In-stock carts under the credit limit, or repeat buyers');
    await dialog.getByRole('textbox', { name: 'Folder', exact: true }).fill('E2E');
    await page.getByRole('button', { name: 'Create audience' }).click();
    await page.getByRole('heading', { name: 'Shoppers under their limit', level: 1 }).waitFor();
    ctx.key = 'shoppers_under_their_limit';
    // The page has its own address: a reload opens it again.
    assert.equal(new URL(page.url()).pathname, `/audiences/${ctx.key}`);
    await page.reload();
    await page.getByRole('heading', { name: 'Shoppers under their limit', level: 1 }).waitFor();
    assert.equal(await page.getByTestId('enable-toggle').isChecked(), false, 'a new audience starts disabled');
    const got = await apiCall(page, 'GET', `/api/v1/audiences/${ctx.key}`);
    assert.equal(got.status, 200);
    const def = got.json.definition;
    // The clicks built what was meant.
    assert.equal(def.groups_operator, 'or');
    const acc = def.groups[0].conditions[0];
    assert.deepEqual(acc.where.filters, [{ column: 'STATUS', op: 'equals', value: 'active' }]);
    const cart = acc.children.conditions[0];
    assert.equal(cart.relationship, 'account-carts');
    assert.deepEqual(cart.where.filters, [{ column: 'TOTAL', op: 'less_than', ref: { column: 'CREDIT_LIMIT', relationship: 'user-accounts' } }]);
    assert.deepEqual(cart.children.conditions[0], { type: 'entity', relationship: 'cart-products', where: { filters: [{ column: 'IN_STOCK', op: 'equals', value: true }] } });
    assert.deepEqual(def.groups[1].conditions[0], {
      type: 'event',
      event: 'Order Completed',
      count: { op: 'at_least', value: 2 },
      window: { within: { value: 730, unit: 'days' } },
      where: { filters: [{ property: 'total', op: 'greater_than', value: 50 }] },
    });
    const members = kith.members(def);
    assert.equal(ctx.previewCount, members.length, 'preview count = kith members');
    ctx.members = members.length;
    // A profile of the warehouse that is not a member, for "why not".
    const inAudience = new Set(members);
    ctx.outsider = kith.members({ groups: [{ conditions: [{ type: 'trait', trait: 'first_name' }] }] }).find((p) => !inAudience.has(p));
    assert.ok(ctx.outsider);
  });

  step('enables it and adds a webhook activation with enrichment', async () => {
    await page.getByTestId('enable-toggle').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="enable-toggle"]')?.checked === true);
    await page.getByRole('link', { name: 'Add activation' }).click();
    await page.getByRole('button', { name: 'Destination webhook' }).click();
    await page.getByRole('textbox', { name: 'url', exact: true }).fill(`${kith.url}/demo/sink`);
    await shot(page, '07-activation-wizard');
    await axe('activation wizard');
    await page.getByRole('button', { name: 'Next: action' }).click();
    await page.getByRole('button', { name: 'Next: trigger' }).click();
    await page.getByLabel('Profile enters audience').check();
    assert.equal(await page.getByRole('textbox', { name: 'Event name' }).inputValue(), 'Audience Entered');
    await page.getByRole('button', { name: 'Next: save' }).click();
    await page.getByRole('button', { name: 'Save activation' }).click();
    ctx.activation = `${ctx.key}_to_webhook`;
    await page.getByRole('heading', { name: ctx.activation, level: 1 }).waitFor();
    // The demo sink takes events only with its token: a write-only header among the destination's settings.
    const headers = page.getByRole('textbox', { name: 'headers (JSON)' });
    await headers.fill(JSON.stringify({ Authorization: `Bearer ${kith.sinkToken}` }));
    await headers.blur();
    const [saved] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/api/v1/activations/${ctx.activation}`) && r.request().method() === 'PUT'),
      page.getByRole('button', { name: 'Save settings' }).click(),
    ]);
    assert.equal(saved.status(), 200);

    await page.getByRole('textbox', { name: 'Traits', exact: true }).fill('first_name');
    await page.keyboard.press('Enter');
    await page.getByRole('textbox', { name: 'account-carts columns', exact: true }).click();
    await page.getByRole('option', { name: 'TOTAL', exact: true }).click();
    await page.keyboard.press('Escape');
    await page.getByTestId('save-enrichment').click();
    await page.getByText('Activation saved').first().waitFor();
    const act = await apiCall(page, 'GET', `/api/v1/activations/${ctx.activation}`);
    assert.deepEqual(act.json.enrichment, { traits: ['first_name'], entities: { 'account-carts': ['TOTAL'] } });
    assert.equal(act.json.destination.url, `${kith.url}/demo/sink`);
    assert.equal(act.json.event_name, 'Audience Entered');
    // Personalization syntax for the enriched trait.
    await page.getByText('{{event_properties.first_name}}').waitFor();
    await page.getByTestId('activation-enable').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="activation-enable"]')?.checked === true);
    ctx.sinkBefore = (await apiCall(page, 'GET', '/api/v1/demo/sink')).json.events;
  });

  step('runs now; the events arrive at the sink and the delivery overview adds up', async () => {
    await page.getByRole('link', { name: ctx.key }).click();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByRole('tab', { name: 'Runs' }).click();
    const runs = page.getByTestId('runs-table');
    await runs.locator('tbody tr').filter({ hasText: 'manual' }).filter({ hasText: 'completed' }).first().waitFor({ timeout: 60_000 });
    await shot(page, '09-runs');
    await axe('runs');

    await page.getByRole('link', { name: 'Delivery overview' }).first().click();
    await pick(page, 'Activation', ctx.activation);
    const num = async (k) => Number((await page.getByTestId(`count-${k}`).textContent()).replaceAll(',', ''));
    const deadline = Date.now() + 60_000;
    let c;
    for (;;) {
      c = {};
      for (const k of ['from_audience', 'filtered_at_source', 'filtered_at_destination', 'pending_retry', 'failed', 'delivered']) c[k] = await num(k);
      if (c.from_audience > 0 && c.delivered + c.filtered_at_source + c.filtered_at_destination + c.failed === c.from_audience) break;
      assert.ok(Date.now() < deadline, `delivery did not settle: ${JSON.stringify(c)}`);
      await page.waitForTimeout(1000);
    }
    // Every member entered (the activation's first run backfills), and each event is accounted for once.
    assert.equal(c.from_audience, ctx.members);
    assert.equal(c.pending_retry, 0);
    assert.equal(c.failed, 0);
    const sink = (await apiCall(page, 'GET', '/api/v1/demo/sink?limit=200')).json;
    assert.equal(sink.events - ctx.sinkBefore, c.delivered, 'the sink received every delivered event');
    assert.ok(sink.recent.length > 0 && sink.recent.every((e) => e.context.personas.event_emitter_id === ctx.activation && e.properties.audience_key === ctx.key));
    assert.ok(sink.recent.some((e) => 'first_name' in e.properties), 'events carry the enrichment');
    ctx.sinkAfterRun = sink.events;
    await shot(page, '10-delivery');
    await axe('delivery overview');
    // Drill into a step: its events are listed.
    await page.getByRole('button', { name: /^Successful delivery/ }).click();
    const rows = page.getByTestId('step-events').locator('tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), Math.min(100, c.delivered));
    // Events filtered at source carry their reason.
    if (c.filtered_at_source > 0) {
      await page.getByRole('button', { name: /^Filtered at source/ }).click();
      const filtered = page.getByTestId('step-events').locator('tbody tr');
      await page.getByTestId('step-events').getByText('filtered (source)').first().waitFor();
      assert.equal(await filtered.count(), Math.min(100, c.filtered_at_source));
      for (const reason of await filtered.locator('td:nth-child(7)').allTextContents()) assert.ok(reason.trim().length > 0, 'a reason');
    }
    // Filtering by event name and time range keeps these events (all of one name, all from just now).
    const asked = page.waitForRequest((r) => {
      const u = new URL(r.url());
      return u.pathname === '/api/v1/overview' && u.searchParams.get('event') === 'Audience Entered' && u.searchParams.get('activation') === ctx.activation && Date.now() - Date.parse(u.searchParams.get('from')) < 3_700_000;
    });
    await pick(page, 'Event', 'Audience Entered');
    await pick(page, 'Time range', 'Last hour');
    await asked;
    await page.getByTestId('count-from_audience').filter({ hasText: c.from_audience.toLocaleString('en-US') }).waitFor();
    assert.equal(await num('delivered'), c.delivered);
    // Pending retry cannot be opened.
    assert.equal(await page.getByRole('button', { name: /^Pending retry/ }).count(), 0);
    // The audience's size after the run is the member count.
    await page.getByRole('link', { name: 'Audiences' }).first().click();
    await page.getByTestId(`audience-row-${ctx.key}`).getByTestId('audience-size').filter({ hasText: ctx.members.toLocaleString('en-US') }).waitFor();
    await page.getByRole('link', { name: 'Shoppers under their limit', exact: true }).click();
    await page.getByTestId('audience-size-stat').filter({ hasText: ctx.members.toLocaleString('en-US') }).waitFor();
    await page.getByTestId(`activation-row-${ctx.activation}`).waitFor();
    // The explorer pages through the members, 10 at a time.
    const explorer = page.getByTestId('explorer-members');
    await explorer.waitFor();
    assert.ok(ctx.members > 10, `the audience has ${ctx.members} members: too few to page`);
    const firstOnPage = async () => (await explorer.locator('tbody tr').first().locator('td').first().innerText()).trim();
    const first = await firstOnPage();
    await explorer.getByRole('button', { name: 'Next' }).click();
    await explorer.getByText(/^Members 11–/).waitFor();
    assert.notEqual(await firstOnPage(), first);
    await explorer.getByRole('button', { name: 'Previous' }).click();
    await explorer.getByText('Members 1–10').waitFor();
    assert.equal(await firstOnPage(), first);
    // Why not, for a profile outside the audience: every group fails.
    await page.getByRole('textbox', { name: 'Profile (canonical segment id)' }).fill(ctx.outsider);
    await page.getByRole('button', { name: 'Explain', exact: true }).click();
    const why = page.getByTestId('explanation');
    await why.getByText('is not in the audience').waitFor();
    assert.equal(await why.getByText('does not hold', { exact: true }).count(), 2);
    await shot(page, '06-audience-overview');
    await axe('audience overview');
    await page.getByRole('link', { name: 'Audiences', exact: true }).first().click();
  });

  step('previews the payload and sends a test event: request and response shown, the sink receives it', async () => {
    await page.getByRole('link', { name: 'Shoppers under their limit' }).click();
    await page.getByRole('link', { name: ctx.activation }).click();
    await page.getByTestId('payload-preview').filter({ hasText: '"first_name"' }).waitFor();
    await page.getByRole('button', { name: 'Hide' }).click();
    assert.equal(await page.getByTestId('payload-preview').count(), 0);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByTestId('payload-preview').filter({ hasText: '"audience_key"' }).waitFor();
    // The preview follows a mapping as it is typed, before it is saved.
    const mapping = page.getByRole('textbox', { name: 'Mapping (JSON)' });
    await mapping.fill('{"kind": "kith-e2e", "who": {"@path": "$.properties.first_name"}}');
    await page.getByTestId('payload-preview').filter({ hasText: '"kind": "kith-e2e"' }).waitFor();
    assert.equal(await page.getByTestId('payload-preview').filter({ hasText: '"messageId"' }).count(), 0);
    await mapping.fill('');
    await page.getByTestId('payload-preview').filter({ hasText: '"messageId"' }).waitFor();
    await page.getByRole('button', { name: 'Send test event' }).click();
    const result = page.getByTestId('test-event-result');
    await result.getByText('delivered', { exact: true }).waitFor();
    await result.getByText('Request', { exact: true }).waitFor();
    await result.getByText('Response', { exact: true }).waitFor();
    const sink = (await apiCall(page, 'GET', '/api/v1/demo/sink')).json.events;
    assert.equal(sink, ctx.sinkAfterRun + 1, 'the test event reached the sink');
    await shot(page, '08-activation');
    await axe('activation page');
  });

  step('an event health alert on the activation notifies in the app', async () => {
    await page.getByRole('tab', { name: 'Alerts', exact: true }).click();
    await page.getByRole('textbox', { name: 'Threshold (%)', exact: true }).fill('10');
    await page.getByRole('button', { name: 'Create alert', exact: true }).click();
    await page.getByRole('cell', { name: '10%', exact: true }).waitFor();
    // The service evaluates alerts on its own clock; evaluate them now instead of waiting.
    const ev = await apiCall(page, 'POST', '/api/v1/alerts/evaluate', {});
    assert.equal(ev.status, 200);
    assert.equal(ev.json.fired, 1);
    await page.reload();
    const bell = page.getByRole('button', { name: 'Notifications (1 unread)' });
    await bell.click();
    await page.getByText(`Event health alert: activation "${ctx.activation}"`, { exact: false }).waitFor();
    await shot(page, '18-notifications');
    await axe('notifications');
    await page.getByRole('button', { name: 'Mark all read', exact: true }).click();
    await page.getByRole('button', { name: 'Notifications (0 unread)' }).waitFor();
    await page.getByRole('button', { name: 'Notifications (0 unread)' }).click();
  });

  step('the data graph page shows the tree, columns and types', async () => {
    await page.getByRole('link', { name: 'Data graph' }).click();
    await page.getByText('valid', { exact: true }).waitFor();
    await page.getByText('account-carts → Carts').click();
    const cols = page.getByTestId('entity-columns');
    await cols.getByRole('row', { name: /TOTAL.*number/i }).waitFor();
    assert.equal(await cols.getByRole('row').count(), 1 + 11, 'the 11 columns of carts');
    await shot(page, '11-data-graph');
    await axe('data graph');
    // Validation errors are shown with their line and column.
    const src = page.getByLabel('Graph file');
    await src.fill((await src.inputValue()).replace('version = "v1.0.0"', 'version = "v9"'));
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByTestId('graph-problems').getByText(/line \d+, column \d+/).first().waitFor();
  });
});

async function assertSelected(scope, label, value) {
  assert.equal(await scope.getByLabel(label, { exact: true }).inputValue(), value);
}
