// A staff work list (pre-review, follow-ups, exceptions): loaded at once, again on every step the
// hub tells staff over `/people` (a burst reloads once) and on every reconnection, and every
// `refreshMs` besides; with the page's last answer in words (`said`), a busy flag while an action
// runs, and whether the list is live. A failed load is said with the page's own refusal words.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useI18n, type Translate } from './i18n/index.js';
import { useLive } from './use-live.js';

/** What a page last said: an action done, or a refusal in words. */
export interface Said {
  tone: 'accepted' | 'refused';
  text: string;
}

/** Steps closer together than this reload the list once. */
const BURST_MS = 250;

export function useWorkList<T>(fetchList: () => Promise<T[]>, refusal: (err: unknown, t: Translate) => string, refreshMs = 30_000) {
  const { t } = useI18n();
  const [items, setItems] = useState<T[] | null>(null);
  const [said, setSaid] = useState<Said | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(
    () => fetchList().then(setItems, (err: unknown) => setSaid({ tone: 'refused', text: refusal(err, t) })),
    [fetchList, refusal, t],
  );
  const pending = useRef<number | undefined>(undefined);
  const live = useLive(
    () => true,
    () => {
      pending.current ??= window.setTimeout(() => {
        pending.current = undefined;
        void load();
      }, BURST_MS);
    },
  );
  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), refreshMs);
    return () => {
      window.clearInterval(timer);
      window.clearTimeout(pending.current);
    };
  }, [load, refreshMs]);
  return { items, said, setSaid, busy, setBusy, load, live };
}
