// The app's two languages (zh-CN first, English second), the chosen one remembered in localStorage,
// and `t(key, vars)` that fills `{name}` placeholders.
import { createContext, useContext } from 'react';
import { en, type MessageKey } from './en.js';
import { zhCN } from './zh-CN.js';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export type { MessageKey };

const DICTIONARIES: Record<Language, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };
const STORED = 'xinbao.language';

export function storedLanguage(): Language {
  const v = localStorage.getItem(STORED);
  return v === 'en' ? 'en' : 'zh-CN';
}

export function rememberLanguage(lang: Language): void {
  localStorage.setItem(STORED, lang);
  document.documentElement.lang = lang;
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Language): Translate {
  const dict = DICTIONARIES[lang];
  return (key, vars) => dict[key].replace(/\{(\w+)\}/g, (whole, name: string) => (vars && name in vars ? String(vars[name]) : whole));
}

export const I18n = createContext<{ lang: Language; t: Translate }>({ lang: 'zh-CN', t: translator('zh-CN') });
export const useI18n = () => useContext(I18n);
