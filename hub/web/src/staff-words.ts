// Codes the hub sends to the staff console (states, steps, actors) in words when the dictionary has
// them, else the code itself: a state added to the hub later still shows, as its code.
import type { MessageKey, Translate } from './i18n/index.js';
import { en } from './i18n/en.js';

export function wordsFor(t: Translate, prefix: string, code: string): string {
  const key = `${prefix}.${code}`;
  return key in en ? t(key as MessageKey) : code;
}
