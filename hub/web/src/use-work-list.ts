// A staff work list (pre-review, follow-ups, exceptions): loaded at once and again every `refreshMs`,
// with the page's last answer in words (`said`) and a busy flag while an action runs. A failed load
// is said with the page's own refusal words.
import { useCallback, useEffect, useState } from 'react';
import { useI18n, type Translate } from './i18n/index.js';

/** What a page last said: an action done, or a refusal in words. */
export interface Said {
  tone: 'accepted' | 'refused';
  text: string;
}

export function useWorkList<T>(fetchList: () => Promise<T[]>, refusal: (err: unknown, t: Translate) => string, refreshMs = 30_000) {
  const { t } = useI18n();
  const [items, setItems] = useState<T[] | null>(null);
  const [said, setSaid] = useState<Said | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(
    () => fetchList().then(setItems, (err: unknown) => setSaid({ tone: 'refused', text: refusal(err, t) })),
    [fetchList, refusal, t],
  );
  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), refreshMs);
    return () => window.clearInterval(timer);
  }, [load, refreshMs]);
  return { items, said, setSaid, busy, setBusy, load };
}
