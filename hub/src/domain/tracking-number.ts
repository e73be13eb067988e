// Tracking numbers: `XB` + 11 random digits + a Luhn check digit, so any single mistyped digit (and
// most swapped neighbours) at the intake counter is caught before any lookup.
export function checkDigit(digits: string): number {
  let sum = 0;
  // Luhn: double every second digit counting from the right of the body (the check digit follows).
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function makeTrackingNumber(randomDigit: () => number): string {
  let body = '';
  for (let i = 0; i < 11; i++) body += String(randomDigit());
  return `XB${body}${checkDigit(body)}`;
}

export function isValidTrackingNumber(s: string): boolean {
  const m = /^XB(\d{11})(\d)$/.exec(s);
  return m !== null && checkDigit(m[1]!) === Number(m[2]);
}
