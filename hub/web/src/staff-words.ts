// Codes the hub sends to the staff console (states, steps, actors) in words when the dictionary has
// them, else the code itself: a state added to the hub later still shows, as its code.
import type { MessageKey, Translate } from './i18n/index.js';
import { en } from './i18n/en.js';

export function wordsFor(t: Translate, prefix: string, code: string): string {
  const key = `${prefix}.${code}`;
  return key in en ? t(key as MessageKey) : code;
}

/** A phone as the hub masks it (尾号5678), in the page's language (GLOSSARY: 尾号5678 / ending 5678). */
export function maskedPhoneText(masked: string, lang: string): string {
  const last4 = /^尾号(\d{4})$/.exec(masked)?.[1];
  return lang === 'en' && last4 ? `ending ${last4}` : masked;
}
