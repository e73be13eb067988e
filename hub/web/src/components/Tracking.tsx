// The application's tracking, like a parcel's: every pre-review step and every custody event of each
// of its parcels with time, place and who (by role), newest first. Live over the `/people` socket
// (ADR 0031): a `tracking:step` or `tracking:application` of this application reloads it, and so does every (re)connection, so
// a step told while the socket was away is not missed (ADR 0036).
import type { ApplicationDetail, SiteInfo } from '../api.js';
import { useLive, type LiveState } from '../use-live.js';
import { LiveBadge } from './LiveBadge.js';
import { useI18n, type MessageKey } from '../i18n/index.js';
import { actorWords, eventWords, hallDateTime } from '../follow-words.js';

/** Live while mounted: `onChange` runs for each step of this application and on every (re)connection. */
export function useLiveTracking(applicationId: string, onChange: () => void): LiveState {
  return useLive((step) => step.applicationId === applicationId, onChange);
}

interface Row {
  key: string;
  at: string;
  what: string;
  where: string | null;
  who: string;
  tn: string | null;
}

const STEP_WORDS: Record<string, MessageKey> = {
  submitted: 'f.step.submitted',
  resubmitted: 'f.step.resubmitted',
  passed: 'f.step.passed',
  returned: 'f.step.returned',
  accepted_pending: 'f.step.accepted_pending',
  materials_received: 'f.step.materials_received',
};

export function Tracking({ app, sites, live }: { app: ApplicationDetail; sites: Map<string, SiteInfo>; live: LiveState }) {
  const { t } = useI18n();
  const rows: Row[] = [
    ...app.prereviewSteps.map((s, i) => ({
      key: `step-${i}`,
      at: s.at,
      what: t(s.step === 'passed' && s.byRules ? 'f.step.passedByRules' : (STEP_WORDS[s.step] ?? 'f.kind.other')),
      where: null,
      who: t(s.step === 'submitted' || s.step === 'resubmitted' ? 'actor.applicant' : s.byRules ? 'actor.system' : 'actor.staff'),
      tn: null,
    })),
    ...app.parcels.flatMap((p) =>
      p.events.map((e) => {
        const site = e.siteId ? sites.get(e.siteId) : undefined;
        const place = site ? (e.compartment ? t('f.atCompartment', { site: site.name, n: e.compartment }) : site.name) : null;
        return { key: e.id, at: e.at, what: t(eventWords(e)), where: place, who: t(actorWords(e.actorKind)), tn: p.trackingNumber };
      }),
    ),
  ].sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || b.key.localeCompare(a.key));

  return (
    <section className="card follow-section" id="tracking" aria-labelledby="tracking-title">
      <div className="row-head">
        <h2 id="tracking-title">{t('f.tracking')}</h2>
        <LiveBadge live={live} />
      </div>
      <ol className="timeline" id="timeline">
        {rows.map((r) => (
          <li key={r.key} className="step">
            <span className="when">{hallDateTime(r.at)}</span>
            <span className="what">{r.what}</span>
            <span className="meta">
              {r.where && <span className="where">{r.where} · </span>}
              <span className="who">{r.who}</span>
              {r.tn && <span className="tn"> · {r.tn}</span>}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
