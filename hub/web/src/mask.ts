// Names as every page shows them (GLOSSARY): the first character, then a star (张三 → 张*).
export function maskName(name: string): string {
  const first = [...name.trim()][0];
  return first === undefined ? '*' : `${first}*`;
}
