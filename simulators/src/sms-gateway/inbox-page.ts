// The SMS gateway simulator's inbox as a plain HTML page (newest first), for the demo: what the
// hub "sent" to each phone. Everything shown is escaped.
export interface InboxMessage {
  messageId: string;
  to: string;
  text: string;
  idempotencyKey: string;
  receivedAt: string;
  /** what its receipt said (null: none sent yet, or dropped) */
  receipt: 'delivered' | 'failed' | null;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function inboxPage(messages: readonly InboxMessage[]): string {
  const rows = [...messages]
    .reverse()
    .map(
      (m) =>
        `<tr><td>${escape(m.receivedAt)}</td><td>${escape(m.to)}</td><td>${escape(m.text)}</td><td>${escape(m.receipt ?? '—')}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>SMS gateway (simulated) — inbox</title>
<style>body{font:15px system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}</style>
</head><body>
<h1>SMS gateway (simulated) — inbox</h1>
<p>No message leaves this simulator. ${messages.length} message(s); this page refreshes every 5 s.</p>
<table><thead><tr><th>received</th><th>to</th><th>text</th><th>receipt</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="4">no messages yet</td></tr>'}
</tbody></table>
</body></html>
`;
}
