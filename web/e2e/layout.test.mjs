// The layout at a 1400 px wide window, where the columns beside the side bar are tightest: the audiences list keeps
// every badge's text whole and its cells apart (one audience has run, so its last run shows a status and a time), and
// the side bar's background reaches the bottom of a page longer than the window, scrolled or not. Fails on anything
// the Content-Security-Policy refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiCall, cspViolations, launch, login, newPage, seriousViolations, shot, startKith } from './lib.mjs';

let kith, browser, page;

// What the audiences list draws: each badge's widths, and per row each cell's box and the box of what it shows (its
// text and elements, wherever they are drawn), with the table's and its card's right edges.
function measureList() {
  const rows = [...document.querySelectorAll('[data-testid^="audience-row-"]')];
  const contentBox = (node) => {
    const r = document.createRange();
    r.selectNodeContents(node);
    return r.getBoundingClientRect();
  };
  return {
    badges: rows.flatMap((tr) =>
      [...tr.querySelectorAll('.mantine-Badge-root')].map((b) => {
        const label = b.querySelector('.mantine-Badge-label') ?? b;
        return { text: b.textContent, label: [label.scrollWidth, label.clientWidth], badge: [b.scrollWidth, b.clientWidth] };
      }),
    ),
    rows: rows.map((tr) =>
      [...tr.children].map((td) => {
        const cell = td.getBoundingClientRect();
        const content = contentBox(td);
        return { text: td.innerText.trim(), cell: [cell.left, cell.right], content: [content.left, content.right] };
      }),
    ),
    table: rows[0].closest('table').getBoundingClientRect().right,
    card: rows[0].closest('.mantine-Card-root').getBoundingClientRect().right,
  };
}

// Where the side bar is on the page (not in the window), the page's height, its first link in the window.
function measureSideBar(nav) {
  const r = nav.getBoundingClientRect();
  const link = nav.querySelector('a').getBoundingClientRect();
  return {
    top: r.top + window.scrollY,
    bottom: r.bottom + window.scrollY,
    page: document.documentElement.scrollHeight,
    window: window.innerHeight,
    link: [link.top, link.bottom],
    background: getComputedStyle(nav).backgroundColor,
    body: getComputedStyle(document.body).backgroundColor,
  };
}

describe('the layout at 1400 px', () => {
  before(async () => {
    kith = await startKith();
    browser = await launch();
    page = await newPage(browser, kith);
    await page.setViewportSize({ width: 1400, height: 900 });
    await login(page, kith.owner.email, kith.owner.password);
  });
  after(async () => {
    await browser?.close();
    await kith?.stop();
    assert.deepEqual(cspViolations, [], 'what the Content-Security-Policy refused');
  });

  test('the audiences list shows every badge whole and keeps its cells apart', { timeout: 120_000 }, async () => {
    const ran = await apiCall(page, 'POST', '/api/v1/audiences/pro_plan/run');
    assert.equal(ran.status, 202, JSON.stringify(ran.json));
    // The list polls until the audience that ran shows its status and time.
    await page.getByTestId('audience-row-pro_plan').getByText('completed', { exact: true }).waitFor({ timeout: 90_000 });
    const list = await page.evaluate(measureList);
    await shot(page, 'layout-audiences-1400');
    assert.ok(list.rows.length >= 5, `the demo's audiences are listed: ${list.rows.length}`);
    assert.ok(list.badges.length >= 2 * list.rows.length, `a status and a last-run badge per row: ${JSON.stringify(list.badges)}`);
    for (const b of list.badges) {
      assert.ok(b.label[0] <= b.label[1], `badge "${b.text}" is cut: its label's scroll and client widths are ${b.label}`);
      assert.ok(b.badge[0] <= b.badge[1], `badge "${b.text}" is cut: its scroll and client widths are ${b.badge}`);
    }
    const lastRun = list.rows.find((cells) => cells[0].text.startsWith('Pro plan\n'))[4].text;
    assert.match(lastRun, /completed[\s\S]*\d/i, 'the last run shows its status and its time');
    for (const cells of list.rows) {
      cells.forEach((c, i) => {
        const what = `row "${cells[0].text.split('\n')[0]}", cell ${i + 1} (${JSON.stringify(c.text)})`;
        assert.ok(c.content[0] >= c.cell[0] - 0.5 && c.content[1] <= c.cell[1] + 0.5, `${what} draws outside its cell: ${c.content} in ${c.cell}`);
        if (i + 1 < cells.length) assert.ok(c.cell[1] <= cells[i + 1].cell[0] + 0.5, `${what} overlaps the next cell: ${c.cell}, ${cells[i + 1].cell}`);
      });
    }
    assert.ok(list.table <= list.card + 0.5, `the table (right edge ${list.table}) fits its card (${list.card})`);
    assert.deepEqual(await seriousViolations(page), [], 'axe on the audiences list at 1400 px');
  });

  test('the side bar reaches the bottom of a long page, scrolled or not', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Data graph' }).click();
    await page.getByText('valid', { exact: true }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    const top = await nav.evaluate(measureSideBar);
    assert.ok(top.page > top.window + 300, `the data graph page is longer than the window: ${top.page} px in ${top.window} px`);
    assert.notEqual(top.background, top.body, 'the side bar has a background of its own');
    assert.ok(top.bottom >= top.page - 1, `the side bar ends at ${top.bottom} px of a ${top.page} px page`);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const end = await nav.evaluate(measureSideBar);
    assert.ok(end.bottom >= end.page - 1, `scrolled to the bottom, the side bar ends at ${end.bottom} px of ${end.page} px`);
    assert.ok(end.link[0] >= 0 && end.link[1] <= end.window, `scrolled to the bottom, the first link is in view: ${end.link}`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'layout-data-graph-1400');
  });
});
