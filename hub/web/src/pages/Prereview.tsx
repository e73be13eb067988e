// The pre-review desk (资料预审, ADR 0027/0034): applications waiting, in arrival order, each with its
// matter, the applicant masked and what was declared against the matter's list (core ones marked).
// Opening one shows the materials and the three decisions: pass; return with a one-time notice
// written in the notice editor (one row per material, the missing core ones already in it, a free
// note and the notice as the applicant will print it); or 容缺 accept with the non-core materials to
// follow and a due date. Every answer is said in words; a decided application leaves the list.
import { useEffect, useMemo, useState } from 'react';
import {
  ApiError,
  MATERIAL_PROBLEMS,
  staffApi,
  type MaterialProblem,
  type NoticeRow,
  type PrereviewItem,
  type PrereviewMaterial,
  type PrereviewMatter,
} from '../api.js';
import { useWorkList } from '../use-work-list.js';
import { LiveBadge } from '../components/LiveBadge.js';
import { useI18n, type MessageKey, type Translate } from '../i18n/index.js';
import { endOfHallDay, firstRows, hallDayAfter, leftOut, materialName, noticePreview } from '../one-time-notice.js';
import { maskedPhoneText } from '../staff-words.js';
import { hallDateTime, waited } from '../work-lists.js';

/** The default time a 容缺 commitment gives (days), the hub allowing up to 60. */
const COMMITMENT_DAYS = 7;

const PREREVIEW_REFUSALS = new Set([
  'notice_incomplete',
  'notice_repeats',
  'unknown_material',
  'not_pending',
  'core_missing',
  'cannot_follow',
  'commitment_incomplete',
  'bad_due_date',
  'no_free_compartment',
  'open_deposits',
]);

function refusalText(err: unknown, t: Translate, extra: Record<string, string> = {}): string {
  if (!(err instanceof ApiError) || err.code === 'network') return t('networkError');
  if (PREREVIEW_REFUSALS.has(err.code)) return `${t(`prereview.refusal.${err.code}` as MessageKey, extra)} (${err.message})`;
  return t('step.refused', { message: err.message });
}

type Decision = 'pass' | 'return' | 'accept-pending';

function MaterialsTable({ item, specs }: { item: PrereviewItem; specs: PrereviewMaterial[] }) {
  const { t } = useI18n();
  return (
    <table className="materials">
      <thead>
        <tr>
          <th>{t('prereview.material')}</th>
          <th>{t('prereview.core')}</th>
          <th>{t('prereview.declared')}</th>
        </tr>
      </thead>
      <tbody>
        {specs.map((s) => {
          const declared = item.materials.find((m) => m.code === s.code);
          return (
            <tr
              key={s.code}
              data-material={s.code}
              data-declared={declared ? 'yes' : 'no'}
              className={declared ? '' : s.core ? 'lacking-core' : 'lacking'}
            >
              <td>
                {s.name} <span className="en">({s.nameEn})</span>
              </td>
              <td>{s.core ? t('prereview.coreMark') : ''}</td>
              <td>{declared ? t('prereview.declaredCopies', { n: declared.copies ?? 1 }) : t('prereview.notDeclared')}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function NoticeEditor({
  item,
  specs,
  busy,
  send,
}: {
  item: PrereviewItem;
  specs: PrereviewMaterial[];
  busy: boolean;
  send: (rows: NoticeRow[], note: string) => void;
}) {
  const { t } = useI18n();
  const [rows, setRows] = useState<NoticeRow[]>(() => firstRows(specs, item.missingCore));
  const [note, setNote] = useState('');
  const [adding, setAdding] = useState('');
  const addable = specs.filter((s) => !rows.some((r) => r.material === s.code));
  const change = (i: number, patch: Partial<NoticeRow>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const preview = noticePreview({
    number: item.resubmissions + 1,
    applicationId: item.applicationId,
    matterName: item.matter.name,
    issuedAt: new Date(),
    rows,
    specs,
    note,
  });
  const lacking = leftOut(rows, item.missingCore);
  return (
    <form
      className="notice-editor"
      id="notice-editor"
      onSubmit={(e) => {
        e.preventDefault();
        send(rows, note);
      }}
    >
      <h3>{t('prereview.noticeTitle')}</h3>
      <p className="hint">{t('prereview.noticeHint')}</p>
      <ol className="notice-rows">
        {rows.map((r, i) => {
          const spec = specs.find((s) => s.code === r.material);
          return (
            <li key={r.material} className="notice-row" data-material={r.material}>
              <span className="material-name">
                {materialName(specs, r.material)}
                {spec?.core && <strong className="core-mark"> {t('prereview.coreMark')}</strong>}
              </span>
              <label>
                {t('prereview.problem')}
                <select className="problem" value={r.problem} onChange={(e) => change(i, { problem: e.target.value as MaterialProblem })}>
                  {MATERIAL_PROBLEMS.map((p) => (
                    <option key={p} value={p}>
                      {t(`prereview.problem.${p}`)}
                    </option>
                  ))}
                </select>
              </label>
              <label className="what-to-do">
                {t('prereview.whatToDo')}
                <input
                  className="what-to-do-text"
                  value={r.whatToDo}
                  maxLength={500}
                  required
                  minLength={2}
                  onChange={(e) => change(i, { whatToDo: e.target.value })}
                />
              </label>
              <button type="button" className="remove-row" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                {t('prereview.removeRow')}
              </button>
            </li>
          );
        })}
      </ol>
      {addable.length > 0 && (
        <div className="add-row">
          <label>
            {t('prereview.addMaterial')}
            <select id="add-material" value={adding} onChange={(e) => setAdding(e.target.value)}>
              <option value="">—</option>
              {addable.map((s) => (
                <option key={s.code} value={s.code}>
                  {s.name} ({s.nameEn})
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            id="add-row"
            disabled={!adding}
            onClick={() => {
              setRows([...rows, { material: adding, problem: 'wrong', whatToDo: '' }]);
              setAdding('');
            }}
          >
            {t('prereview.addRow')}
          </button>
        </div>
      )}
      <label className="free-note">
        {t('prereview.freeNote')}
        <textarea id="notice-note" value={note} maxLength={1000} rows={2} onChange={(e) => setNote(e.target.value)} />
      </label>
      {lacking.length > 0 && (
        <p className="said tone-warning" id="notice-lacking">
          {t('prereview.lacking', { materials: lacking.map((c) => materialName(specs, c)).join('、') })}
        </p>
      )}
      <h4>{t('prereview.previewTitle')}</h4>
      <pre className="notice-preview" id="notice-preview">
        {preview}
      </pre>
      <button type="submit" className="primary send-notice" disabled={busy || rows.length === 0}>
        {t('prereview.sendNotice')}
      </button>
    </form>
  );
}

function AcceptPendingForm({
  item,
  specs,
  busy,
  send,
}: {
  item: PrereviewItem;
  specs: PrereviewMaterial[];
  busy: boolean;
  send: (materials: string[], commitment: string, dueAt: string) => void;
}) {
  const { t } = useI18n();
  const [chosen, setChosen] = useState<string[]>(item.missingOther);
  const [commitment, setCommitment] = useState(() => t('prereview.commitmentDefault'));
  const [due, setDue] = useState(() => hallDayAfter(new Date(), COMMITMENT_DAYS));
  return (
    <form
      className="accept-pending-form"
      id="accept-pending-form"
      onSubmit={(e) => {
        e.preventDefault();
        send(chosen, commitment, endOfHallDay(due));
      }}
    >
      <h3>{t('prereview.acceptPendingTitle')}</h3>
      <fieldset>
        <legend>{t('prereview.toFollow')}</legend>
        {item.missingOther.map((code) => (
          <label key={code} className="follow-material">
            <input
              type="checkbox"
              value={code}
              checked={chosen.includes(code)}
              onChange={(e) => setChosen(e.target.checked ? [...chosen, code] : chosen.filter((c) => c !== code))}
            />{' '}
            {materialName(specs, code)}
          </label>
        ))}
      </fieldset>
      <label>
        {t('prereview.commitment')}
        <textarea id="commitment" value={commitment} maxLength={1000} rows={2} onChange={(e) => setCommitment(e.target.value)} />
      </label>
      <label>
        {t('prereview.dueDate')}
        <input id="due-date" type="date" value={due} onChange={(e) => setDue(e.target.value)} required />
      </label>
      <button type="submit" className="primary confirm-accept-pending" disabled={busy || chosen.length === 0}>
        {t('prereview.confirmAcceptPending')}
      </button>
    </form>
  );
}

function PrereviewRow({
  item,
  matter,
  open,
  busy,
  toggle,
  decide,
}: {
  item: PrereviewItem;
  matter: PrereviewMatter | undefined;
  open: boolean;
  busy: boolean;
  toggle: () => void;
  decide: (d: Decision, body: { rows?: NoticeRow[]; note?: string; materials?: string[]; commitment?: string; dueAt?: string }) => void;
}) {
  const { t, lang } = useI18n();
  const [decision, setDecision] = useState<Decision | null>(null);
  const specs = matter?.materials ?? [];
  const declared = item.materials.length;
  const mayFollow = item.missingCore.length === 0 && item.missingOther.length > 0;
  return (
    <li className="prereview-row card" data-application={item.applicationId} data-matter={item.matter.code}>
      <div className="row-head">
        <strong className="matter">{item.matter.name}</strong>
        <span className="waited">{waited(item.waitedMinutes, t)}</span>
      </div>
      <p className="who">
        {t('applicant')}: <span className="applicant">{item.applicant.name}</span> ·{' '}
        <span className="phone">{maskedPhoneText(item.applicant.phone, lang)}</span>
        {item.resubmissions > 0 && <> · {t('prereview.resubmitted', { n: item.resubmissions })}</>}
      </p>
      <p className="summary">
        {t('prereview.declaredOf', { n: declared, of: specs.length })}
        {item.missingCore.length > 0 && (
          <strong className="missing-core">
            {' '}
            · {t('prereview.missingCore', { materials: item.missingCore.map((c) => materialName(specs, c)).join('、') })}
          </strong>
        )}
        {item.missingOther.length > 0 && (
          <span className="missing-other">
            {' '}
            · {t('prereview.missingOther', { materials: item.missingOther.map((c) => materialName(specs, c)).join('、') })}
          </span>
        )}
      </p>
      <p className="when">{t('prereview.submittedAt', { time: hallDateTime(item.submittedAt) })}</p>
      <button type="button" className="open" aria-expanded={open} onClick={toggle}>
        {open ? t('prereview.close') : t('prereview.open')}
      </button>
      {open && (
        <div className="prereview-detail">
          <MaterialsTable item={item} specs={specs} />
          <div className="actions">
            <button type="button" className="primary pass" disabled={busy} onClick={() => decide('pass', {})}>
              {t('prereview.pass')}
            </button>
            <button
              type="button"
              className="return"
              disabled={busy}
              aria-expanded={decision === 'return'}
              onClick={() => setDecision('return')}
            >
              {t('prereview.return')}
            </button>
            <button
              type="button"
              className="accept-pending"
              disabled={busy || !mayFollow}
              aria-expanded={decision === 'accept-pending'}
              onClick={() => setDecision('accept-pending')}
            >
              {t('prereview.acceptPending')}
            </button>
          </div>
          {!mayFollow && (
            <p className="hint">{item.missingCore.length > 0 ? t('prereview.noFollowCore') : t('prereview.noFollowNothing')}</p>
          )}
          {decision === 'return' && (
            <NoticeEditor item={item} specs={specs} busy={busy} send={(rows, note) => decide('return', { rows, note })} />
          )}
          {decision === 'accept-pending' && (
            <AcceptPendingForm
              item={item}
              specs={specs}
              busy={busy}
              send={(materials, commitment, dueAt) => decide('accept-pending', { materials, commitment, dueAt })}
            />
          )}
        </div>
      )}
    </li>
  );
}

export function Prereview() {
  const { t } = useI18n();
  const { items: queue, said, setSaid, busy, setBusy, load, live } = useWorkList(staffApi.prereviewQueue, refusalText);
  const [matters, setMatters] = useState<PrereviewMatter[]>([]);
  const [opened, setOpened] = useState<string | null>(null);
  const [issued, setIssued] = useState<string | null>(null);
  // The queue shows once the catalogue is in, so materials read by their names, never their codes.
  const items = matters.length > 0 ? queue : null;
  const byCode = useMemo(() => new Map(matters.map((m) => [m.code, m])), [matters]);

  useEffect(() => {
    staffApi.prereviewMatters().then(setMatters, (err: unknown) => setSaid({ tone: 'refused', text: refusalText(err, t) }));
  }, [t, setSaid]);

  const decide = (
    item: PrereviewItem,
    d: Decision,
    body: { rows?: NoticeRow[]; note?: string; materials?: string[]; commitment?: string; dueAt?: string },
  ) => {
    setBusy(true);
    const specs = byCode.get(item.matter.code)?.materials ?? [];
    const call =
      d === 'pass'
        ? staffApi.pass(item.applicationId, '')
        : d === 'return'
          ? staffApi.returnWithNotice(item.applicationId, body.rows!, body.note ?? '').then((notice) => setIssued(notice.text))
          : staffApi.acceptPending(item.applicationId, body.materials!, body.commitment!, body.dueAt!);
    const lacking = leftOut(body.rows ?? [], item.missingCore).map((c) => materialName(specs, c));
    void call
      .then(
        () => {
          if (d !== 'return') setIssued(null);
          setOpened(null);
          setSaid({ tone: 'accepted', text: t(`prereview.said.${d}`, { matter: item.matter.name, applicant: item.applicant.name }) });
          return load();
        },
        (err: unknown) => setSaid({ tone: 'refused', text: refusalText(err, t, { materials: lacking.join('、') }) }),
      )
      .finally(() => setBusy(false));
  };

  return (
    <section className="prereview" id="prereview" aria-busy={busy}>
      <div className="row-head">
        <h1>{t('prereview.title')}</h1>
        <LiveBadge live={live} />
      </div>
      <div className="filters">
        <button id="refresh" type="button" onClick={() => void load()}>
          {t('refresh')}
        </button>
      </div>
      {said && (
        <p id="prereview-message" role="status" className={`said tone-${said.tone}`}>
          {said.text}
        </p>
      )}
      {issued && (
        <details className="issued-notice" id="issued-notice" open>
          <summary>{t('prereview.issuedTitle')}</summary>
          <pre>{issued}</pre>
          <button type="button" onClick={() => window.print()}>
            {t('prereview.print')}
          </button>
        </details>
      )}
      {items !== null && items.length === 0 && (
        <p className="empty" id="prereview-empty">
          {t('prereview.empty')}
        </p>
      )}
      {items !== null && items.length > 0 && (
        <ol className="prereview-list" id="prereview-list">
          {items.map((item) => (
            <PrereviewRow
              key={item.applicationId}
              item={item}
              matter={byCode.get(item.matter.code)}
              open={opened === item.applicationId}
              busy={busy}
              toggle={() => setOpened(opened === item.applicationId ? null : item.applicationId)}
              decide={(d, body) => decide(item, d, body)}
            />
          ))}
        </ol>
      )}
    </section>
  );
}
