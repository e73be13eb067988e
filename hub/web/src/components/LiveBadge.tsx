// Whether a page is live over `/people` (ADR 0031): live, connecting or offline, in words.
import { useI18n } from '../i18n/index.js';
import type { LiveState } from '../use-live.js';

export function LiveBadge({ live }: { live: LiveState }) {
  const { t } = useI18n();
  return (
    <span id="live" className={`live live-${live}`} role="status">
      {t(live === 'live' ? 'f.live' : live === 'connecting' ? 'f.connecting' : 'f.offline')}
    </span>
  );
}
