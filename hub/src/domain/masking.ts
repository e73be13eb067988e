// Personal data as lists, logs and messages show it (GLOSSARY, after the postal waybill rule): a
// name keeps only its first character (张*), a phone number only its last four digits (尾号5678).
// Pure, so every slice masks the same way.

/** 张三 → 张*; 李四 (西安某贸易有限公司) → 李*; an empty name stays empty. */
export function maskName(name: string | null | undefined): string {
  const first = [...(name ?? '').trim()][0];
  return first === undefined ? '' : `${first}*`;
}

/** 13800005678 → 尾号5678; anything shorter than five digits is hidden whole. */
export function maskPhone(phone: string | null | undefined): string {
  const digits = (phone ?? '').replace(/\D/g, '');
  return digits.length < 5 ? '****' : `尾号${digits.slice(-4)}`;
}
