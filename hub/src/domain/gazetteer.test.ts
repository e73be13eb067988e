import { describe, expect, it } from '@jest/globals';
import { Gazetteer, GazetteerFile, normalizeAddress, type GazetteerPlace } from './gazetteer.js';

// Fixture places of the tests' own (not the shipped file), chosen to make each rule decide something.
const place = (id: string, name: string, kind: GazetteerPlace['kind'], district: string, aliases: string[] = []): GazetteerPlace => ({
  id,
  name,
  kind,
  district,
  aliases,
  lat: 34.2 + id.length / 1000,
  lng: 108.9,
});
const PLACES: GazetteerPlace[] = [
  place('yanta', '雁塔区', 'district', '雁塔区', ['Yanta District']),
  place('lianhu', '莲湖区', 'district', '莲湖区'),
  place('xincheng', '新城区', 'district', '新城区'),
  place('changan', '长安区', 'district', '长安区'),
  place('xiaozhai', '小寨', 'zone', '雁塔区'),
  place('xiaozhai-donglu', '小寨东路', 'street', '雁塔区'),
  place('keji-lu', '科技路', 'street', '雁塔区'),
  place('keji-jie', '科技街', 'street', '莲湖区'),
  place('changan-lu', '长安路', 'street', '雁塔区'),
  place('changan-beilu', '长安北路', 'street', '雁塔区'),
  place('jianshe-xc', '建设路', 'street', '新城区'),
  place('jianshe-lh', '建设路', 'street', '莲湖区'),
  place('zhonglou', '钟楼', 'landmark', '碑林区', ['Bell Tower']),
  place('dayanta', '大雁塔', 'landmark', '雁塔区', ['Big Wild Goose Pagoda']),
  place('museum', '陕西历史博物馆', 'landmark', '雁塔区'),
  place('city-hall', '西安市人民政府', 'landmark', '未央区'),
];
const g = new Gazetteer({ city: '西安市', datum: 'WGS84', version: 1, places: PLACES });

const found = (input: string) => {
  const r = g.lookup(input);
  if (!r.ok) throw new Error(`"${input}" not found: ${r.tried.join(' / ')}`);
  return { id: r.place.id, how: r.how, matched: r.matched };
};

describe('gazetteer: normalising', () => {
  it('turns full-width into half-width, ignores case, spaces and punctuation', () => {
    expect(normalizeAddress('  ＢＥＬＬ　Ｔｏｗｅｒ ')).toBe('belltower');
    expect(normalizeAddress('雁塔区 小寨东路１２６号（东门）')).toBe('雁塔区小寨东路126号东门');
    expect(normalizeAddress("Xi'an, Bell-Tower!")).toBe('xianbelltower');
  });
});

describe('gazetteer: exact names', () => {
  it('finds a name or an alias in any case and width', () => {
    expect(found('钟楼')).toEqual({ id: 'zhonglou', how: 'exact', matched: '钟楼' });
    expect(found('bell tower')).toEqual({ id: 'zhonglou', how: 'exact', matched: 'Bell Tower' });
    expect(found('ＢＥＬＬ ＴＯＷＥＲ').id).toBe('zhonglou');
  });
  it('strips a leading 陕西省 / 西安市, but not from a place whose name starts with it', () => {
    expect(found('西安市钟楼')).toMatchObject({ id: 'zhonglou', how: 'exact' });
    expect(found('陕西省西安市大雁塔')).toMatchObject({ id: 'dayanta', how: 'exact' });
    expect(found('西安市人民政府')).toMatchObject({ id: 'city-hall', how: 'exact' });
    expect(found('陕西历史博物馆').id).toBe('museum');
  });
  it('tolerates 路/街 variants and bare names, but a true name wins', () => {
    expect(found('小寨东街')).toMatchObject({ id: 'xiaozhai-donglu', how: 'exact', matched: '小寨东街' });
    expect(found('长安北大街').id).toBe('changan-beilu');
    expect(found('长安北').id).toBe('changan-beilu');
    expect(found('科技街').id).toBe('keji-jie');
    expect(found('科技路').id).toBe('keji-lu');
    expect(found('雁塔').id).toBe('yanta');
    // 长安 is both 长安区 without 区 and 长安路 without 路: the district reading is the truer one
    expect(found('长安').id).toBe('changan');
  });
});

describe('gazetteer: names inside an address', () => {
  it('takes the longest contained name, a street over its zone and district', () => {
    expect(found('西安市雁塔区小寨东路126号')).toEqual({ id: 'xiaozhai-donglu', how: 'contains', matched: '小寨东路' });
    expect(found('雁塔区小寨赛格').id).toBe('xiaozhai');
    expect(found('雁塔区长安北路88号').id).toBe('changan-beilu');
  });
  it('lets any landmark, street or zone beat a district, even a longer one', () => {
    expect(found('雁塔区大雁塔南广场').id).toBe('dayanta');
    expect(found('碑林区钟楼附近').id).toBe('zhonglou');
    expect(found('near the Bell Tower please').id).toBe('zhonglou');
  });
  it('falls back to the district, and to a street variant inside an address', () => {
    expect(found('雁塔区某某小区3号楼')).toMatchObject({ id: 'yanta', how: 'contains' });
    expect(found('雁塔区小寨东街7号')).toMatchObject({ id: 'xiaozhai-donglu', matched: '小寨东街' });
    // a bare base (科技, 雁塔) is never looked for inside an address: 科技园 is not 科技路
    expect(g.lookup('某某科技园').ok).toBe(false);
  });
  it('prefers the same-named street in the district the address names', () => {
    expect(found('莲湖区建设路5号').id).toBe('jianshe-lh');
    expect(found('新城区建设路8号').id).toBe('jianshe-xc');
  });
});

describe('gazetteer: not found', () => {
  it('says what it tried and suggests close names', () => {
    const r = g.lookup('陕西历史博物院');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.query).toBe('陕西历史博物院');
    expect(r.tried).toEqual([
      'the whole input "陕西历史博物院" as a place name or alias',
      'place names and aliases contained in "陕西历史博物院"',
    ]);
    expect(r.suggestions[0]).toEqual({ name: '陕西历史博物馆', kind: 'landmark', district: '雁塔区' });
  });
  it('lists the prefix-stripped attempts, and answers junk without suggestions', () => {
    const r = g.lookup('西安市火星基地');
    expect(r.ok === false && r.tried.length).toBe(3);
    const junk = g.lookup('！！！');
    expect(junk).toEqual({ ok: false, query: '！！！', tried: [], suggestions: [] });
  });
});

describe('gazetteer: the file', () => {
  const file = { city: '西安市', datum: 'WGS84', version: 1, places: PLACES };
  it('accepts a well-formed file and defaults missing aliases', () => {
    const { aliases: _, ...noAliases } = PLACES[0]!;
    const r = GazetteerFile.safeParse({ ...file, places: [noAliases] });
    expect(r.success && r.data.places[0]!.aliases).toEqual([]);
  });
  it('refuses duplicate ids, another datum, a bad kind or coordinate', () => {
    expect(GazetteerFile.safeParse({ ...file, places: [...PLACES, PLACES[0]] }).error?.issues[0]?.message).toMatch(
      /duplicate place id yanta/,
    );
    expect(GazetteerFile.safeParse({ ...file, datum: 'GCJ-02' }).success).toBe(false);
    expect(GazetteerFile.safeParse({ ...file, places: [{ ...PLACES[0], kind: 'village' }] }).success).toBe(false);
    expect(GazetteerFile.safeParse({ ...file, places: [{ ...PLACES[0], lat: 134 }] }).success).toBe(false);
  });
});
