// The kiosk touch screen: one step at a time. Start (keypad: the 8-digit code, then the 6 digits that
// go with it, ADR 0018; or a QR scan) → checking → "door N is
// open" → (door closed) thank you, with the tracking number after a deposit; or an error that says
// what happened and what to do next, in the resident's language. A deposit whose door jammed is
// offered another compartment. Results of codes from the QR scanner arrive as Server-Sent Events,
// as do door changes. After a while without a touch the screen returns to its start, in Chinese.
import { LANGUAGES, STRINGS, translate } from './strings.js';

const CODE_LENGTH = 8;
/** The second factor, asked after the code and sent with it: nothing is judged before both are in. */
const FACTOR_LENGTH = 6;
/** A resident with the door open needs longer than one idle period to put documents in. */
const OPEN_IDLE_FACTOR = 5;
const DEFAULT_LANG = LANGUAGES[0];

const state = {
  lang: DEFAULT_LANG,
  screen: 'start',
  digits: '',
  /** 'code' (8 digits) then 'factor' (6 digits) */
  step: 'code',
  /** the code typed at the first step, kept until the factor is in */
  code: '',
  /** the grant on screen: { status, compartment, purpose, trackingNumber, commandId } */
  current: null,
  workingKey: 'working.heading',
  /** { title, body, vars, actions } with string keys */
  error: null,
  /** true / false / null: what the item sensor saw when the door closed */
  itemPresent: null,
};
let idleMs = 60_000;
let idleTimer = null;

const $ = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el;
};
const t = (key, vars) => translate(state.lang, key, vars);
const hasText = (key) => key in STRINGS[DEFAULT_LANG];

// ---- drawing ----------------------------------------------------------------------------------

const wanted = () => (state.step === 'code' ? CODE_LENGTH : FACTOR_LENGTH);

function drawDigits() {
  const boxes = $('digits').children;
  for (let i = 0; i < CODE_LENGTH; i++) {
    const box = boxes[i];
    box.hidden = i >= wanted();
    box.textContent = state.digits[i] ?? '';
    box.classList.toggle('filled', i < state.digits.length);
    box.classList.toggle('next', i === state.digits.length);
  }
  $('submit').disabled = state.digits.length !== wanted();
  document.body.dataset.step = state.step;
}

function render() {
  document.documentElement.lang = state.lang;
  document.title = t('app.title');
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll('[data-t-label]')) el.setAttribute('aria-label', t(el.dataset.tLabel));
  for (const section of document.querySelectorAll('.screen')) section.hidden = section.dataset.screen !== state.screen;
  document.body.dataset.screen = state.screen;
  drawDigits();
  const c = state.current;
  switch (state.screen) {
    case 'working':
      $('working-heading').textContent = t(state.workingKey);
      break;
    case 'open':
      $('open-badge').textContent = t('open.badge', { door: c.compartment });
      $('open-heading').textContent = t('open.heading', { door: c.compartment });
      $('open-body').textContent = t(`open.${c.purpose}`) + visitNote(c);
      break;
    case 'done': {
      const empty = c.purpose === 'deposit' && state.itemPresent === false;
      $('done-heading').textContent = t('done.heading', { door: c.compartment });
      $('done-body').textContent = t(empty ? 'done.deposit.empty' : `done.${c.purpose}`);
      $('done-tracking').hidden = c.purpose !== 'deposit' || empty;
      $('tracking-number').textContent = groupTracking(c.trackingNumber);
      break;
    }
    case 'ask':
      $('ask-heading').textContent = t('door.unconfirmed.title', { door: c.compartment });
      break;
    case 'error': {
      const e = state.error;
      $('error-heading').textContent = t(e.title, e.vars);
      $('error-body').textContent = t(e.body, e.vars);
      $('another').hidden = !e.actions.includes('another');
      $('retry').hidden = !e.actions.includes('retry');
      break;
    }
    case 'start':
      if (state.step === 'factor') {
        $('start-heading').textContent = t('start.factor.heading');
        $('start-hint').textContent = t('start.factor.hint');
        $('digits').setAttribute('aria-label', t('keypad.factor.label'));
      }
      $('submit').textContent = t(state.step === 'code' ? 'start.next' : 'start.open');
      break;
  }
}

/** A courier visit opens its doors one at a time (ADR 0023): "next: door 7", or that this is the last. */
function visitNote(c) {
  if (!c.visit) return '';
  const next = c.visit.doors[c.visit.position];
  return ' ' + (next === undefined ? t('open.visit.last') : t('open.visit.next', { next }));
}

/** XB12345678901 2 → "XB 1234 5678 9012": easier to read out and to copy down. */
function groupTracking(tn) {
  const m = /^([A-Z]+)(\d+)$/.exec(tn ?? '');
  return m ? `${m[1]} ${m[2].replace(/(\d{4})(?=\d)/g, '$1 ')}` : (tn ?? '');
}

function announce() {
  const visible = document.querySelector('.screen:not([hidden])');
  const parts = [...visible.querySelectorAll('h1, .lead')].map((el) => el.textContent).filter(Boolean);
  $('live').textContent = parts.join(' ');
}

function show(screen) {
  state.screen = screen;
  render();
  announce();
  restartIdle();
}

// ---- what the resident does --------------------------------------------------------------------

function press(digit) {
  if (state.screen !== 'start' || state.digits.length >= wanted()) return;
  state.digits += digit;
  drawDigits();
  // Someone is typing: the agent keeps status polls off the lock-board bus so the unlock to come is not kept waiting.
  fetch('/api/typing', { method: 'POST' }).catch(() => undefined);
}

function backspace() {
  if (state.step === 'factor' && state.digits === '') {
    // Nothing typed at the second step yet: back to the code, to correct it.
    state.digits = state.code;
    state.code = '';
    state.step = 'code';
    render();
    return;
  }
  state.digits = state.digits.slice(0, -1);
  drawDigits();
}

function clearDigits() {
  state.digits = '';
  drawDigits();
}

/** Back to the first step (the code), nothing typed. */
function restartEntry() {
  state.digits = '';
  state.code = '';
  state.step = 'code';
}

/** Back to the very start for the next person: no digits, no result, Chinese again. */
function home() {
  restartEntry();
  state.current = null;
  state.error = null;
  state.lang = DEFAULT_LANG;
  show('start');
}

function retry() {
  restartEntry();
  state.error = null;
  show('start');
}

function switchLanguage() {
  state.lang = LANGUAGES[(LANGUAGES.indexOf(state.lang) + 1) % LANGUAGES.length];
  render();
  announce();
}

async function post(path, body) {
  try {
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.json().catch(() => null);
    if (json && typeof json.status === 'string') return json;
    return { status: 'refused', code: json?.error?.code ?? 'generic' };
  } catch {
    // The agent itself did not answer: nothing was opened.
    return { status: 'refused', code: 'generic' };
  }
}

async function submit() {
  if (state.screen !== 'start' || state.digits.length !== wanted()) return;
  if (state.step === 'code') {
    // The code alone is never sent: the 6 digits come first (a wrong guess tells nothing about either part).
    state.code = state.digits;
    state.digits = '';
    state.step = 'factor';
    show('start');
    return;
  }
  const code = state.code;
  const factor = state.digits;
  restartEntry();
  state.workingKey = 'working.heading';
  show('working');
  showResult(await post('/api/code', { code, factor, source: 'screen' }));
}

async function anotherCompartment() {
  const jammed = state.current;
  if (!jammed || state.screen !== 'error') return;
  state.workingKey = 'another.working';
  show('working');
  showResult(await post('/api/another', { commandId: jammed.commandId, source: 'screen' }));
}

// ---- what the locker answers -------------------------------------------------------------------

function showError(title, body, actions, vars = {}) {
  state.error = { title, body, actions, vars };
  show('error');
}

/** Refusals a resident can fix by typing again; the rest need a new code, time or staff. */
const RETRYABLE = new Set(['code_invalid', 'bad_request', 'hub_unreachable', 'keypad_slowed', 'generic']);

function showResult(r) {
  if (r.status === 'refused') {
    const code = hasText(`error.${r.code}.title`) ? r.code : 'generic';
    // The keypad is slowed (ADR 0015): say how long to wait; a QR code still opens at once.
    const vars = { seconds: Math.max(1, Math.ceil((Number(r.retryAfterMs) || 1000) / 1000)) };
    showError(`error.${code}.title`, `error.${code}.body`, RETRYABLE.has(code) ? ['retry'] : [], vars);
    return;
  }
  state.current = r;
  const vars = { door: r.compartment };
  switch (r.status) {
    case 'opened':
      show('open');
      return;
    case 'jammed':
      if (r.purpose === 'deposit') showError('door.jammed.title', 'door.jammed.offer', ['another'], vars);
      else showError('door.jammed.title', 'door.jammed.inside', [], vars);
      return;
    case 'unconfirmed':
      // The unlock went out but nothing showed the door move: the person at the door knows (ADR 0014).
      show('ask');
      return;
    case 'not_sent':
      showError('door.not_sent.title', 'door.not_sent.body', ['retry'], vars);
      return;
    default:
      showError('door.failed.title', 'door.failed.body', [], vars);
  }
}

/** "Did the door open?": the answer goes to the hub; yes → as if it opened, no → the code can be used again. */
async function answerUnlock(answer) {
  const asked = state.current;
  if (!asked || state.screen !== 'ask') return;
  try {
    await fetch('/api/answer', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ commandId: asked.commandId, answer }),
    });
  } catch {
    // The agent did not answer: the hub still has the unconfirmed outcome and its alarm.
  }
  if (answer === 'opened') show('open');
  else showError('door.answered.not_opened.title', 'door.answered.not_opened.body', ['retry'], { door: asked.compartment });
}

function doorChanged(d) {
  if (state.screen === 'open' && d.state === 'closed' && d.compartment === state.current?.compartment) {
    state.itemPresent = d.itemPresent;
    show('done');
  }
}

// ---- idle: back to the start for the next person ----------------------------------------------

function restartIdle() {
  clearTimeout(idleTimer);
  if (state.screen === 'working') return;
  const wait = state.screen === 'open' ? idleMs * OPEN_IDLE_FACTOR : idleMs;
  idleTimer = setTimeout(home, wait);
}

// ---- wiring ------------------------------------------------------------------------------------

function wire() {
  const digits = $('digits');
  for (let i = 0; i < CODE_LENGTH; i++) {
    const box = document.createElement('span');
    box.className = 'digit';
    digits.append(box);
  }
  for (const key of document.querySelectorAll('[data-digit]')) key.addEventListener('click', () => press(key.dataset.digit));
  $('back').addEventListener('click', backspace);
  $('clear').addEventListener('click', clearDigits);
  $('submit').addEventListener('click', () => void submit());
  $('lang').addEventListener('click', switchLanguage);
  $('finish').addEventListener('click', home);
  $('home').addEventListener('click', home);
  $('retry').addEventListener('click', retry);
  $('another').addEventListener('click', () => void anotherCompartment());
  $('answer-opened').addEventListener('click', () => void answerUnlock('opened'));
  $('answer-not-opened').addEventListener('click', () => void answerUnlock('not_opened'));
  // Any touch or key keeps the screen where it is.
  document.addEventListener('pointerdown', restartIdle, { capture: true });
  document.addEventListener('keydown', (e) => {
    restartIdle();
    if (state.screen !== 'start') return;
    if (/^[0-9]$/.test(e.key)) press(e.key);
    else if (e.key === 'Backspace') backspace();
    else if (e.key === 'Enter' && state.digits.length === wanted()) {
      e.preventDefault();
      void submit();
    }
  });

  const events = new EventSource('/api/events');
  events.addEventListener('result', (e) => {
    const { result, source } = JSON.parse(e.data);
    // The screen's own requests are answered directly; everything else (the scanner) is shown here.
    if (source !== 'screen') showResult(result);
  });
  events.addEventListener('door', (e) => doorChanged(JSON.parse(e.data)));
  events.addEventListener('open', () => {
    document.body.dataset.events = 'connected';
  });

  fetch('/api/screen')
    .then((r) => r.json())
    .then((s) => {
      if (Number.isFinite(s.idleMs) && s.idleMs > 0) idleMs = s.idleMs;
      restartIdle();
    })
    .catch(() => restartIdle());
  show('start');
}

wire();
