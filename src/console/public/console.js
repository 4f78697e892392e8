// The delivery console's only script (an ES module, served by the bridge; no inline code anywhere,
// so the pages run under a Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval').
// 1. The deliveries table follows new deliveries: it polls its JSON twin and redraws its rows.
// 2. A one-time secret is selected when focused, ready to copy.

const POLL_MS = 2000;

function followDeliveries(table) {
  const url = table.dataset.live;
  const body = table.querySelector('tbody');
  const template = document.getElementById('delivery-row-template');
  const status = document.getElementById('live-status');
  if (!url || !body || !template) return;
  let last = signature([...body.querySelectorAll('tr')].map((tr) => ({ id: tr.dataset.id })));
  let timer;

  const say = (text) => {
    if (status) status.textContent = text;
  };

  const draw = (rows) => {
    const rowsSignature = signature(rows);
    if (rowsSignature === last) return;
    last = rowsSignature;
    body.replaceChildren(...rows.map((row) => rowOf(template, row)));
    const empty = document.getElementById('no-rows');
    if (empty) empty.hidden = rows.length > 0;
  };

  const poll = async () => {
    timer = undefined;
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
      if (response.status === 401) {
        say('Your session ended: reload the page to sign in again.');
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      draw(data.rows);
      say(`Updated ${data.generated_at.slice(11, 19)} UTC.`);
    } catch {
      say('Could not refresh; trying again.');
    }
    schedule();
  };

  const schedule = () => {
    if (timer === undefined && !document.hidden) timer = setTimeout(poll, POLL_MS);
  };

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      clearTimeout(timer);
      timer = undefined;
    } else schedule();
  });
  schedule();
}

/** What changes a row: its id, status, attempts and last answer. */
function signature(rows) {
  return rows.map((r) => [r.id, r.status, r.attempts, r.lastCode].join(':')).join('|');
}

/** One table row from the template, filled with textContent only (nothing is parsed as HTML). */
function rowOf(template, row) {
  const tr = template.content.firstElementChild.cloneNode(true);
  tr.dataset.id = row.id;
  tr.dataset.entityId = row.entityId;
  const field = (name) => tr.querySelector(`[data-field="${name}"]`);
  const created = field('created');
  created.dateTime = row.createdIso;
  created.textContent = row.createdText;
  const event = field('event');
  event.href = row.href;
  event.textContent = row.event;
  const status = field('status');
  status.textContent = row.status;
  status.className = `status status-${row.status}`;
  for (const name of ['entity', 'entityId', 'attempts', 'lastCode', 'subscription', 'lastError']) field(name).textContent = row[name];
  return tr;
}

for (const table of document.querySelectorAll('table[data-live]')) followDeliveries(table);
for (const input of document.querySelectorAll('[data-select-on-focus]')) input.addEventListener('focus', () => input.select());
