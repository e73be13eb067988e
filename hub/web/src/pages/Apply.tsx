// Applying (issue 12, ADR 0027/0035): choose a service matter, tick the materials being sent (the core
// ones marked; the page names every core one not ticked and says pre-review will ask for it), choose
// how the paper goes in among the matter's channels (none when no paper goes in) and how the result
// comes back; an own kiosk or a partner locker is chosen in the LockerPicker, a courier pickup or the
// mail asks an address. The hub's answer (pre-review pending, or passed at once) is shown, then the
// application's page opens.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import {
  ApiError,
  portalApi,
  type ApplyBody,
  type DropOffBody,
  type MapSettings,
  type Matter,
  type NearbySite,
  type ReturnBody,
  type Submitted,
} from '../api.js';
import { LockerPicker } from '../components/LockerPicker.js';
import { useI18n, type Language, type MessageKey } from '../i18n/index.js';
import { goApplication } from '../router.js';

type In = Matter['channelsIn'][number];
type Out = Matter['channelsOut'][number];

/** The matter's name in the page's language: the Chinese name without its English gloss, or the English one. */
export function matterName(m: Matter, lang: Language): string {
  return lang === 'en' ? (m.nameEn ?? m.name) : m.name.replace(/\s*\([^)]*\)\s*$/, '');
}

/** How long the answer shows before the application's page opens. */
const SHOW_ANSWER_MS = 2500;

export function Apply() {
  const { t, lang } = useI18n();
  const [matters, setMatters] = useState<Matter[] | null>(null);
  const [map, setMap] = useState<MapSettings | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [ticked, setTicked] = useState<Set<string>>(new Set());
  const [channelIn, setChannelIn] = useState<In | null>(null);
  const [channelOut, setChannelOut] = useState<Out | null>(null);
  const [dropSite, setDropSite] = useState<NearbySite | null>(null);
  const [returnSite, setReturnSite] = useState<NearbySite | null>(null);
  const [dropAccessible, setDropAccessible] = useState(false);
  const [returnAccessible, setReturnAccessible] = useState(false);
  const [pickupAddress, setPickupAddress] = useState('');
  const [mailAddress, setMailAddress] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<Submitted | null>(null);

  useEffect(() => {
    Promise.all([portalApi.matters(), portalApi.mapSettings()]).then(
      ([m, s]) => {
        setMatters(m);
        setMap(s);
      },
      () => setLoadError(t('networkError')),
    );
  }, [t]);

  useEffect(() => {
    if (!done) return;
    const timer = setTimeout(() => goApplication(done.application.id), SHOW_ANSWER_MS);
    return () => clearTimeout(timer);
  }, [done]);

  const matter = useMemo(() => matters?.find((m) => m.code === code) ?? null, [matters, code]);
  const missingCore = matter ? matter.materials.filter((m) => m.core && !ticked.has(m.code)) : [];
  const materialName = (m: Matter['materials'][number]) => (lang === 'en' ? m.nameEn : m.name);

  const chooseMatter = (next: string) => {
    setCode(next);
    setTicked(new Set());
    setChannelIn(null);
    setChannelOut(null);
    setDropSite(null);
    setReturnSite(null);
    setError(null);
  };

  const toggle = (material: string, on: boolean) => {
    const next = new Set(ticked);
    if (on) next.add(material);
    else next.delete(material);
    setTicked(next);
  };

  /** The body to send, or the words for what is still to be chosen. */
  const body = (): ApplyBody | MessageKey => {
    if (!matter) return 'apply.needMatter';
    let dropOff: DropOffBody;
    if (!matter.paperIn || matter.channelsIn.length === 0) dropOff = { channel: 'none' };
    else if (!channelIn) return 'apply.needIn';
    else if (channelIn === 'own_kiosk' || channelIn === 'partner_locker') {
      if (!dropSite) return 'apply.needDropSite';
      dropOff =
        channelIn === 'own_kiosk'
          ? { channel: 'own_kiosk', siteId: dropSite.id, ...(dropAccessible && { accessible: true as const }) }
          : { channel: 'partner_locker', siteId: dropSite.id };
    } else if (channelIn === 'courier_pickup') {
      if (pickupAddress.trim().length < 5) return 'apply.needPickupAddress';
      dropOff = { channel: 'courier_pickup', address: pickupAddress.trim() };
    } else dropOff = { channel: 'counter' };
    let returnChannel: ReturnBody;
    if (!channelOut) return 'apply.needOut';
    if (channelOut === 'own_kiosk' || channelOut === 'partner_locker') {
      if (!returnSite) return 'apply.needReturnSite';
      returnChannel =
        channelOut === 'own_kiosk'
          ? { channel: 'own_kiosk', siteId: returnSite.id, ...(returnAccessible && { accessible: true as const }) }
          : { channel: 'partner_locker', siteId: returnSite.id };
    } else if (channelOut === 'mail') {
      if (mailAddress.trim().length < 5) return 'apply.needMailAddress';
      returnChannel = { channel: 'mail', address: mailAddress.trim() };
    } else returnChannel = { channel: 'counter' };
    const materials = matter.materials.filter((m) => ticked.has(m.code)).map((m) => ({ code: m.code }));
    return { matterCode: matter.code, materials, dropOff, returnChannel };
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const b = body();
    if (typeof b === 'string') {
      setError(t(b));
      return;
    }
    setBusy(true);
    setError(null);
    portalApi.apply(b).then(
      (r) => {
        setBusy(false);
        setDone(r);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err instanceof ApiError && err.status !== 0 ? t('apply.refused', { reason: err.message }) : t('networkError'));
      },
    );
  };

  if (loadError)
    return (
      <p className="error" role="alert">
        {loadError}
      </p>
    );
  if (!matters || !map) return <p role="status">{t('apply.loading')}</p>;

  if (done) {
    const passed = done.application.prereview === 'passed';
    return (
      <section
        className="card apply"
        id="apply-result"
        data-application-id={done.application.id}
        data-prereview={done.application.prereview}
      >
        <h1>{t('apply.submittedTitle')}</h1>
        <p className={passed ? 'ok' : 'notice'} role="status" id="apply-answer">
          {t(passed ? 'apply.passed' : 'apply.pending', { matter: matter ? matterName(matter, lang) : done.application.matterName })}
        </p>
        <p>
          <a id="go-application" href={`#/application/${encodeURIComponent(done.application.id)}`}>
            {t('apply.openApplication')}
          </a>
        </p>
      </section>
    );
  }

  const paperIn = matter ? matter.paperIn && matter.channelsIn.length > 0 : false;

  return (
    <form className="card apply" id="apply" onSubmit={submit}>
      <h1>{t('apply.title')}</h1>

      <label className="field">
        {t('apply.matter')}
        <select id="matter" value={code} onChange={(e) => chooseMatter(e.target.value)}>
          <option value="">{t('apply.chooseMatter')}</option>
          {matters.map((m) => (
            <option key={m.code} value={m.code}>
              {matterName(m, lang)}
            </option>
          ))}
        </select>
      </label>

      {matter && (
        <>
          <fieldset id="materials">
            <legend>{t('apply.materials')}</legend>
            {matter.materials.map((m) => (
              <label key={m.code} className="check">
                <input
                  id={`material-${m.code}`}
                  type="checkbox"
                  checked={ticked.has(m.code)}
                  onChange={(e) => toggle(m.code, e.target.checked)}
                />
                <span>
                  {materialName(m)} {m.core && <strong className="core">{t('apply.core')}</strong>}
                </span>
              </label>
            ))}
            {missingCore.length > 0 ? (
              <p id="missing-core" className="notice" role="status">
                {t('apply.missingCore', { names: missingCore.map(materialName).join(lang === 'en' ? '; ' : '；') })}
              </p>
            ) : (
              <p id="all-core" className="ok">
                {t(matter.prereview === 'rules' ? 'apply.allCoreRules' : 'apply.allCoreStaff')}
              </p>
            )}
          </fieldset>

          <fieldset id="channel-in">
            <legend>{t('apply.howIn')}</legend>
            {!paperIn ? (
              <p id="no-paper">{t('apply.noPaper')}</p>
            ) : (
              matter.channelsIn.map((c) => (
                <label key={c} className="check">
                  <input
                    type="radio"
                    name="channel-in"
                    id={`in-${c}`}
                    value={c}
                    checked={channelIn === c}
                    onChange={() => {
                      setChannelIn(c);
                      setDropSite(null);
                    }}
                  />
                  <span>{t(`apply.in.${c}`)}</span>
                </label>
              ))
            )}
            {paperIn && (channelIn === 'own_kiosk' || channelIn === 'partner_locker') && (
              <LockerPicker
                key={channelIn}
                id="drop"
                network={channelIn === 'own_kiosk' ? 'own' : 'partner'}
                map={map}
                selected={dropSite}
                onSelect={setDropSite}
                {...(channelIn === 'own_kiosk' && { accessible: { checked: dropAccessible, onChange: setDropAccessible } })}
              />
            )}
            {paperIn && channelIn === 'courier_pickup' && (
              <label className="field">
                {t('apply.pickupAddress')}
                <input
                  id="pickup-address"
                  value={pickupAddress}
                  onChange={(e) => setPickupAddress(e.target.value)}
                  autoComplete="street-address"
                />
              </label>
            )}
          </fieldset>

          <fieldset id="channel-out">
            <legend>{t('apply.howOut')}</legend>
            {matter.channelsOut.map((c) => (
              <label key={c} className="check">
                <input
                  type="radio"
                  name="channel-out"
                  id={`out-${c}`}
                  value={c}
                  checked={channelOut === c}
                  onChange={() => {
                    setChannelOut(c);
                    setReturnSite(null);
                  }}
                />
                <span>{t(`apply.out.${c}`)}</span>
              </label>
            ))}
            {(channelOut === 'own_kiosk' || channelOut === 'partner_locker') && (
              <LockerPicker
                key={channelOut}
                id="return"
                network={channelOut === 'own_kiosk' ? 'own' : 'partner'}
                map={map}
                selected={returnSite}
                onSelect={setReturnSite}
                {...(channelOut === 'own_kiosk' && { accessible: { checked: returnAccessible, onChange: setReturnAccessible } })}
              />
            )}
            {channelOut === 'mail' && (
              <label className="field">
                {t('apply.mailAddress')}
                <input
                  id="mail-address"
                  value={mailAddress}
                  onChange={(e) => setMailAddress(e.target.value)}
                  autoComplete="street-address"
                />
              </label>
            )}
          </fieldset>
        </>
      )}

      {error && (
        <p id="apply-error" className="error" role="alert">
          {error}
        </p>
      )}
      <button id="apply-submit" type="submit" className="primary" disabled={busy || !matter}>
        {busy ? t('apply.submitting') : t('apply.submit')}
      </button>
    </form>
  );
}
