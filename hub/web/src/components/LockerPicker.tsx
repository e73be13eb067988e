// Choosing a locker (ADR 0035): the sites within the nearby radius (5 km by default) of the phone's
// position (asked of the browser only when the applicant presses the button, used for this one search
// and never stored) or of an address searched in the city's gazetteer, shown twice — as a list (name,
// address, distance, free compartments by size, own kiosk or partner locker) and as a map: Leaflet
// over the configured tile server, or, with none configured or its tiles failing, a schematic SVG that
// places each site by its bearing and distance from the centre inside 1 km and 5 km rings. Choosing in
// the list, on the map or on the schematic selects the same site; every way works with a keyboard.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { ApiError, portalApi, type MapSettings, type NearbyAnswer, type NearbySite } from '../api.js';
import { useI18n, type Translate } from '../i18n/index.js';

export type Network = 'own' | 'partner';

export interface LockerPickerProps {
  /** prefix of the element ids (e.g. `drop`, `return`) */
  id: string;
  /** which sites may be chosen: the hall's own kiosks, or partner lockers */
  network: Network;
  map: MapSettings;
  selected: NearbySite | null;
  onSelect: (site: NearbySite) => void;
  /** the "I need a low (accessible) compartment" box, for own kiosks */
  accessible?: { checked: boolean; onChange: (checked: boolean) => void };
}

const isOwn = (s: NearbySite) => s.network === 'own';

export function distanceText(t: Translate, metres: number): string {
  return metres < 1000 ? t('picker.metres', { n: Math.round(metres) }) : t('picker.km', { n: (metres / 1000).toFixed(1) });
}

/** East and north of the centre, in metres (an equirectangular approximation: plenty within 20 km). */
export function offsetM(center: { lat: number; lng: number }, p: { lat: number; lng: number }): { east: number; north: number } {
  const rad = Math.PI / 180;
  return {
    east: (p.lng - center.lng) * rad * 6_371_000 * Math.cos(center.lat * rad),
    north: (p.lat - center.lat) * rad * 6_371_000,
  };
}

export function LockerPicker({ id, network, map, selected, onSelect, accessible }: LockerPickerProps) {
  const { t } = useI18n();
  const [address, setAddress] = useState('');
  const [answer, setAnswer] = useState<NearbyAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tilesFailed, setTilesFailed] = useState(false);

  const sites = (answer?.sites ?? []).filter((s) => (network === 'own' ? isOwn(s) : !isOwn(s)));

  const search = (near: { lat: number; lng: number } | { address: string }) => {
    setBusy(true);
    setError(null);
    portalApi.nearby(near, map.nearbyRadiusM).then(
      (a) => {
        setBusy(false);
        setAnswer(a);
      },
      (err: unknown) => {
        setBusy(false);
        if (err instanceof ApiError && err.code === 'address_not_found') {
          const suggestions = (err.details as { suggestions?: Array<{ name: string }> } | undefined)?.suggestions ?? [];
          setError(
            suggestions.length > 0
              ? t('picker.notFoundSuggest', { names: suggestions.map((s) => s.name).join('、') })
              : t('picker.notFound'),
          );
        } else setError(err instanceof ApiError && err.status !== 0 ? err.message : t('networkError'));
      },
    );
  };

  // Not a form of its own: the picker sits inside the apply form (forms do not nest), so Enter in the
  // address searches here instead of submitting the application.
  const searchAddress = () => {
    if (address.trim()) search({ address: address.trim() });
  };
  const enterSearches = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      searchAddress();
    }
  };

  const locate = () => {
    if (!('geolocation' in navigator)) {
      setError(t('picker.noLocation'));
      return;
    }
    setBusy(true);
    setError(null);
    // Only for this search: the position goes to the hub as the centre of one query and is kept nowhere.
    navigator.geolocation.getCurrentPosition(
      (pos) => search({ lat: pos.coords.latitude, lng: pos.coords.longitude }),
      () => {
        setBusy(false);
        setError(t('picker.locationRefused'));
      },
      { enableHighAccuracy: false, timeout: 10_000, maximumAge: 0 },
    );
  };

  const useTiles = map.tileUrl !== null && !tilesFailed;

  return (
    <div className="picker" id={`${id}-picker`}>
      <div className="picker-search" role="search">
        <label>
          {t('picker.address')}
          <input
            id={`${id}-address`}
            value={address}
            onChange={(e) => setAddress(e.target.value)}
            onKeyDown={enterSearches}
            placeholder={t('picker.addressExample')}
          />
        </label>
        <div className="picker-buttons">
          <button id={`${id}-search`} type="button" onClick={searchAddress} disabled={busy || address.trim() === ''}>
            {t('picker.search')}
          </button>
          <button id={`${id}-locate`} type="button" onClick={locate} disabled={busy}>
            {t('picker.locate')}
          </button>
        </div>
      </div>
      <p className="picker-privacy">{t('picker.privacy')}</p>
      {error && (
        <p id={`${id}-picker-error`} className="error" role="alert">
          {error}
        </p>
      )}
      {busy && <p role="status">{t('picker.searching')}</p>}
      {answer && (
        <>
          <p id={`${id}-centre`} role="status">
            {t(network === 'own' ? 'picker.foundOwn' : 'picker.foundPartner', {
              n: sites.length,
              radius: distanceText(t, answer.radiusM),
              place: answer.center.place?.name ?? t('picker.yourPosition'),
            })}
          </p>
          <div className="picker-views">
            {useTiles ? (
              <TileMap
                id={id}
                map={map}
                answer={answer}
                sites={sites}
                selected={selected}
                onSelect={onSelect}
                onTilesFailed={() => setTilesFailed(true)}
              />
            ) : (
              <Schematic id={id} answer={answer} sites={sites} selected={selected} onSelect={onSelect} tilesFailed={tilesFailed} />
            )}
            <SiteList id={id} sites={sites} selected={selected} onSelect={onSelect} />
          </div>
        </>
      )}
      {selected && (
        <p id={`${id}-chosen`} className="ok" role="status" data-site-id={selected.id}>
          {t('picker.chosen', { name: selected.name })}
        </p>
      )}
      {accessible && (
        <label className="check">
          <input
            id={`${id}-accessible`}
            type="checkbox"
            checked={accessible.checked}
            onChange={(e) => accessible.onChange(e.target.checked)}
          />
          <span>{t('picker.accessible')}</span>
        </label>
      )}
    </div>
  );
}

function FreeSizes({ site }: { site: NearbySite }) {
  const { t } = useI18n();
  const sizes = Object.entries(site.free).filter(([, n]) => n > 0);
  return (
    <span className="free">
      {sizes.length === 0 ? t('picker.noneFree') : sizes.map(([size, n]) => t('picker.freeSize', { size, n })).join(' · ')}
      {site.accessibleFree !== undefined && <> · {t('picker.accessibleFree', { n: site.accessibleFree })}</>}
    </span>
  );
}

function SiteList({
  id,
  sites,
  selected,
  onSelect,
}: {
  id: string;
  sites: NearbySite[];
  selected: NearbySite | null;
  onSelect: (s: NearbySite) => void;
}) {
  const { t } = useI18n();
  if (sites.length === 0)
    return (
      <p id={`${id}-none`} className="empty">
        {t('picker.noSites')}
      </p>
    );
  return (
    <fieldset className="site-list" id={`${id}-list`}>
      <legend>{t('picker.list')}</legend>
      <ol>
        {sites.map((s, i) => (
          <li key={s.id} className={selected?.id === s.id ? 'chosen' : undefined}>
            <label>
              <input
                type="radio"
                name={`${id}-site`}
                value={s.id}
                data-site-name={s.name}
                checked={selected?.id === s.id}
                onChange={() => onSelect(s)}
              />
              <span className="site">
                <strong>
                  {i + 1}. {s.name}
                </strong>
                <span>{s.address}</span>
                <span>
                  {distanceText(t, s.distanceM)} · {t(isOwn(s) ? 'picker.own' : 'picker.partner')}
                  {!s.online && <> · {t('picker.offline')}</>}
                </span>
                <FreeSizes site={s} />
              </span>
            </label>
          </li>
        ))}
      </ol>
    </fieldset>
  );
}

/** The sites on a plain SVG: north up, the centre in the middle, the search radius as the outer ring. */
function Schematic({
  id,
  answer,
  sites,
  selected,
  onSelect,
  tilesFailed,
}: {
  id: string;
  answer: NearbyAnswer;
  sites: NearbySite[];
  selected: NearbySite | null;
  onSelect: (s: NearbySite) => void;
  tilesFailed: boolean;
}) {
  const { t } = useI18n();
  const R = 100; // the radius ring, in SVG units
  const scale = R / answer.radiusM;
  const rings = [...new Set([1000, answer.radiusM])].filter((m) => m <= answer.radiusM);
  const key = (s: NearbySite) => (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onSelect(s);
    }
  };
  return (
    <figure className="schematic" id={`${id}-schematic`}>
      <svg viewBox="-120 -120 240 240" role="group" aria-label={t('picker.schematicLabel')}>
        {rings.map((m) => (
          <g key={m} className="ring">
            <circle r={m * scale} />
            <text x={4} y={-m * scale - 3}>
              {distanceText(t, m)}
            </text>
          </g>
        ))}
        <g className="north" aria-hidden="true">
          <text x={108} y={-106} textAnchor="middle">
            {t('picker.north')}
          </text>
          <path d="M108 -100 L104 -90 L112 -90 Z" />
        </g>
        <g className="centre" aria-hidden="true">
          <circle r={4} />
        </g>
        {sites.map((s, i) => {
          const o = offsetM(answer.center, s);
          const x = Math.max(-R, Math.min(R, o.east * scale));
          const y = Math.max(-R, Math.min(R, -o.north * scale));
          const chosen = selected?.id === s.id;
          return (
            <g
              key={s.id}
              className={`point ${isOwn(s) ? 'own' : 'partner'}${chosen ? ' chosen' : ''}`}
              role="button"
              tabIndex={0}
              aria-pressed={chosen}
              aria-label={`${i + 1}. ${s.name}, ${distanceText(t, s.distanceM)}`}
              data-site-id={s.id}
              data-site-name={s.name}
              transform={`translate(${x.toFixed(1)} ${y.toFixed(1)})`}
              onClick={() => onSelect(s)}
              onKeyDown={key(s)}
            >
              <circle r={chosen ? 9 : 7} />
              <text y={3.5} textAnchor="middle">
                {i + 1}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>{t(tilesFailed ? 'picker.tilesFailed' : 'picker.schematicCaption')}</figcaption>
    </figure>
  );
}

/** Leaflet over the configured tile server; any tile that fails to load turns the view into the schematic. */
function TileMap({
  id,
  map,
  answer,
  sites,
  selected,
  onSelect,
  onTilesFailed,
}: {
  id: string;
  map: MapSettings;
  answer: NearbyAnswer;
  sites: NearbySite[];
  selected: NearbySite | null;
  onSelect: (s: NearbySite) => void;
  onTilesFailed: () => void;
}) {
  const { t } = useI18n();
  const box = useRef<HTMLDivElement>(null);
  const leaflet = useRef<L.Map | null>(null);
  const layer = useRef<L.LayerGroup | null>(null);
  const select = useRef(onSelect);
  const failed = useRef(onTilesFailed);
  select.current = onSelect;
  failed.current = onTilesFailed;

  useEffect(() => {
    if (!box.current) return;
    const m = L.map(box.current, { keyboard: true, attributionControl: true, zoomSnap: 0.25 });
    const tiles = L.tileLayer(map.tileUrl!, { attribution: map.tileAttribution, maxZoom: 19 });
    tiles.on('tileerror', () => failed.current());
    tiles.addTo(m);
    layer.current = L.layerGroup().addTo(m);
    leaflet.current = m;
    return () => {
      m.remove();
      leaflet.current = null;
    };
  }, [map.tileUrl, map.tileAttribution]);

  useEffect(() => {
    const m = leaflet.current;
    const group = layer.current;
    if (!m || !group) return;
    group.clearLayers();
    const centre = L.latLng(answer.center.lat, answer.center.lng);
    L.circle(centre, { radius: answer.radiusM, className: 'map-radius', interactive: false }).addTo(group);
    L.circleMarker(centre, { radius: 5, className: 'map-centre', interactive: false }).addTo(group);
    sites.forEach((s, i) => {
      const chosen = selected?.id === s.id;
      const marker = L.marker([s.lat, s.lng], {
        title: `${i + 1}. ${s.name}`,
        alt: `${i + 1}. ${s.name}`,
        keyboard: true,
        icon: L.divIcon({
          className: `map-point ${isOwn(s) ? 'own' : 'partner'}${chosen ? ' chosen' : ''}`,
          html: String(i + 1),
          iconSize: [28, 28],
        }),
      });
      marker.on('click', () => select.current(s));
      marker.on('keypress', (e: L.LeafletKeyboardEvent) => {
        if (e.originalEvent.key === 'Enter' || e.originalEvent.key === ' ') select.current(s);
      });
      marker.addTo(group);
      marker.getElement()?.setAttribute('data-site-id', s.id);
    });
    m.fitBounds(centre.toBounds(answer.radiusM * 2));
  }, [answer, sites, selected]);

  return (
    <figure className="tile-map">
      <div id={`${id}-map`} className="leaflet-box" ref={box} aria-label={t('picker.mapLabel')} />
    </figure>
  );
}
