// The touch screen's word tables (public/strings.js): both languages say everything, every key the
// page uses exists, every way a code can be refused has a message, and neither language leaks into
// the other.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { CODE_PURPOSES, CODE_REFUSALS, REASSIGN_REFUSALS } from '@xinbao/protocol';

type Table = Record<string, string>;
const screen = (file: string) => new URL(`../public/${file}`, import.meta.url);
// Plain browser modules (no types): loaded as the browser loads them.
const { STRINGS, LANGUAGES, translate } = (await import(screen('strings.js').href)) as {
  STRINGS: Record<string, Table>;
  LANGUAGES: string[];
  translate: (lang: string, key: string, vars?: Record<string, unknown>) => string;
};
const zh = STRINGS['zh-CN']!;
const en = STRINGS.en!;
const CJK = /[\u3400-\u9fff]/;
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('kiosk screen strings', () => {
  it('has one table per language, Chinese first (the default), with the same keys', () => {
    expect(LANGUAGES).toEqual(['zh-CN', 'en']);
    expect(Object.keys(STRINGS).sort()).toEqual([...LANGUAGES].sort());
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
  });

  it('fills every text, with the same placeholders in both languages', () => {
    for (const key of Object.keys(zh)) {
      expect([key, zh[key]!.trim().length > 0, en[key]!.trim().length > 0]).toEqual([key, true, true]);
      expect([key, placeholders(en[key]!)]).toEqual([key, placeholders(zh[key]!)]);
    }
  });

  it('says everything in Chinese in the Chinese table and nothing in Chinese in the English one (except the language switch)', () => {
    const switchKeys = new Set(['lang.switch', 'lang.switch.label']);
    for (const key of Object.keys(zh)) {
      if (switchKeys.has(key)) continue;
      expect([key, CJK.test(zh[key]!)]).toEqual([key, true]);
      expect([key, CJK.test(en[key]!)]).toEqual([key, false]);
    }
    expect(CJK.test(en['lang.switch']!)).toBe(true);
    expect(CJK.test(zh['lang.switch']!)).toBe(false);
  });

  it('has a title and a next step for every refusal a resident can meet', () => {
    const refusals = new Set<string>([...CODE_REFUSALS, ...REASSIGN_REFUSALS, 'hub_unreachable', 'generic']);
    for (const code of refusals) {
      for (const part of ['title', 'body']) expect(Object.keys(zh)).toContain(`error.${code}.${part}`);
    }
    for (const purpose of CODE_PURPOSES) {
      expect(Object.keys(zh)).toContain(`open.${purpose}`);
      expect(Object.keys(zh)).toContain(`done.${purpose}`);
    }
  });

  it('has every key the page names', () => {
    const html = readFileSync(screen('index.html'), 'utf8');
    const app = readFileSync(screen('app.js'), 'utf8');
    const named = new Set([
      ...[...html.matchAll(/data-t(?:-label)?="([^"]+)"/g)].map((m) => m[1]!),
      ...[...app.matchAll(/'((?:app|lang|start|keypad|working|another|open|done|action|door|error)\.[a-z_.]+)'/g)].map((m) => m[1]!),
    ]);
    expect(named.size).toBeGreaterThan(20);
    for (const key of named) expect(Object.keys(zh)).toContain(key);
  });

  it('fills placeholders and falls back to Chinese for a language it does not have', () => {
    expect(translate('zh-CN', 'open.heading', { door: 12 })).toBe('12号箱门已打开');
    expect(translate('en', 'open.heading', { door: 12 })).toBe('Door 12 is open');
    expect(translate('fr', 'open.heading', { door: 3 })).toBe('3号箱门已打开');
    expect(() => translate('en', 'no.such.key')).toThrow('no text for no.such.key');
  });
});
