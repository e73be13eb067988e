// What a user is shown of their own sessions: the address each was opened from, masked, so that the
// list tells "my phone at home" from "somewhere else" without the hub keeping whole addresses.

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const isIPv4 = (a: string): boolean => {
  const m = IPV4.exec(a);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
};
const isIPv6 = (a: string): boolean => {
  if (!/^[0-9a-fA-F:]+$/.test(a) || !a.includes(':') || a.split('::').length > 2) return false;
  const groups = a.split(':').filter((g) => g !== '');
  return groups.every((g) => g.length <= 4) && (a.includes('::') ? groups.length < 8 : groups.length === 8);
};

/** 203.0.113.57 → 203.0.113.x; 2001:db8:1:2::5 → 2001:db8:1::x; anything else → "unknown". */
export function maskAddress(address: string | undefined | null): string {
  if (!address) return 'unknown';
  const v4 = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.x`;
  if (isIPv6(address)) {
    const groups = expandIPv6(address)
      .slice(0, 3)
      .map((g) => g.replace(/^0+(?=.)/, ''));
    return `${groups.join(':')}::x`;
  }
  return 'unknown';
}

function expandIPv6(a: string): string[] {
  const [head = '', tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  return [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
}

/** A user agent as stored: printable, at most 200 characters. */
export function trimUserAgent(ua: string | undefined): string | null {
  if (!ua) return null;
  // eslint-disable-next-line no-control-regex
  const clean = ua.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return clean ? clean.slice(0, 200) : null;
}
