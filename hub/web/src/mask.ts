// Names and phones as every page shows them (GLOSSARY).

/** The first character, then a star (张三 → 张*). */
export function maskName(name: string): string {
  const first = [...name.trim()][0];
  return first === undefined ? '*' : `${first}*`;
}

/** 13800000001 → 138****0001: at least the middle digits hidden; a number already masked stays as it is. */
export function maskPhone(phone: string): string {
  if (phone.includes('*') || phone.includes('尾号')) return phone.trim();
  const d = phone.replace(/\D/g, '').slice(-11);
  return d.length >= 7 ? `${d.slice(0, 3)}${'*'.repeat(d.length - 7)}${d.slice(-4)}` : '***';
}
