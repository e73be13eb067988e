// The hub's migrations on a database that holds rows, the way they meet a running installation:
// each migration applied on its own on top of the schema of the ones before it, with representative
// rows written after every step (sites, compartments, users, applications, parcels, codes, custody
// events, kiosk events, courier orders, and each later table once it exists). Every row written
// before a migration is still there after it, with the same values (new columns may be added); the
// new columns' defaults and generated values are filled in for old rows; and the schema at the end is
// exactly the template's that `migrate` builds in one go for every other test.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { loadMigrations, migrate } from '@xinbao/hub/store/migrate';
import { createTestDatabase, templateDatabaseName, type TestDatabase } from '../support/db.js';

type Row = Record<string, unknown>;
type Snapshot = Map<string, Row[]>;

/** Every table's rows (as JSON, ordered by primary key), but the migration bookkeeping. */
async function snapshot(db: pg.Pool): Promise<Snapshot> {
  const tables = await db.query<{ table: string; pk: string[] }>(
    `SELECT c.relname AS table,
            array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS pk
     FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
     LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
     WHERE ns.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'schema_migrations' ORDER BY c.relname`,
  );
  const out: Snapshot = new Map();
  for (const { table, pk } of tables.rows) {
    if (pk.length === 0) throw new Error(`table ${table} has no primary key: the migration test cannot follow its rows`);
    const order = pk.map((c) => `t.${pg.escapeIdentifier(c)}`).join(', ');
    const rows = await db.query<{ row: Row }>(`SELECT to_jsonb(t) AS row FROM ${pg.escapeIdentifier(table)} t ORDER BY ${order}`);
    out.set(
      table,
      rows.rows.map((r) => r.row),
    );
  }
  return out;
}

/** The schema as the catalogue describes it: tables and columns, constraints, indexes, functions, triggers, rules, extensions. */
interface Schema {
  columns: string[];
  constraints: string[];
  indexes: string[];
  functions: string[];
  triggers: string[];
  rules: string[];
  extensions: string[];
}

async function schemaOf(db: pg.Pool | pg.Client): Promise<Schema> {
  const list = async (sql: string) => (await db.query<{ d: string }>(sql)).rows.map((r) => r.d);
  return {
    columns: await list(
      `SELECT format('%s.%s %s %s null=%s default=%s generated=%s', table_name, column_name, data_type, udt_name, is_nullable,
                     coalesce(column_default, '-'), coalesce(generation_expression, '-')) AS d
       FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
    ),
    constraints: await list(
      `SELECT format('%s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) AS d
       FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`,
    ),
    indexes: await list(`SELECT indexdef AS d FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`),
    functions: await list(
      `SELECT pg_get_functiondef(p.oid) AS d FROM pg_proc p
       WHERE p.pronamespace = 'public'::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.objid = p.oid AND dep.deptype = 'e')
       ORDER BY p.proname`,
    ),
    triggers: await list(`SELECT pg_get_triggerdef(oid) AS d FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname`),
    rules: await list(`SELECT definition AS d FROM pg_rules WHERE schemaname = 'public' ORDER BY rulename`),
    extensions: await list(`SELECT extname AS d FROM pg_extension ORDER BY extname`),
  };
}

/** Representative rows for what each migration brings, written right after it (the ids are kept for later steps). */
const ids = {
  user: randomUUID(),
  matter: randomUUID(),
  ownSite: randomUUID(),
  compartment: randomUUID(),
  spare: randomUUID(),
  device: randomUUID(),
  application: randomUUID(),
  parcel: randomUUID(),
  code: randomUUID(),
  partnerSite: randomUUID(),
  partnerParcel: randomUUID(),
};
const T = '2024-06-01T08:00:00Z';

const ROWS_AFTER: Record<number, (db: pg.Pool) => Promise<void>> = {
  1: async (db) => {
    await db.query(
      `INSERT INTO users (id, username, password_hash, role, display_name, phone) VALUES ($1, 'zhang.san', 'scrypt$x', 'applicant', '张三', '13800000000')`,
      [ids.user],
    );
    await db.query(`INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ('h1', $1, $2)`, [ids.user, T]);
    await db.query(
      `INSERT INTO service_matters (id, code, name, materials, channels, parcel_size) VALUES ($1, 'business-licence-change', '营业执照变更', '["申请书"]', '{own_kiosk}', 'M')`,
      [ids.matter],
    );
    await db.query(
      `INSERT INTO sites (id, network, code, name, address, district, lat, lng, online) VALUES ($1, 'own', 'own-hall', '港务区政务服务中心', '港务大道1号', '灞桥区', 34.3733, 109.0526, true)`,
      [ids.ownSite],
    );
    await db.query(
      `INSERT INTO compartments (id, site_id, number, size, state) VALUES ($1, $3, 1, 'M', 'reserved'), ($2, $3, 2, 'M', 'free')`,
      [ids.compartment, ids.spare, ids.ownSite],
    );
    await db.query(`INSERT INTO kiosk_devices (id, site_id, public_key, label) VALUES ($1, $2, 'PEM', 'hall kiosk 1')`, [
      ids.device,
      ids.ownSite,
    ]);
    await db.query(
      `INSERT INTO applications (id, applicant_id, matter_id, status, channel_in, channel_out) VALUES ($1, $2, $3, 'submitted', 'own_kiosk', 'post')`,
      [ids.application, ids.user, ids.matter],
    );
    await db.query(
      `INSERT INTO parcels (id, application_id, direction, tracking_number, state, site_id, compartment_id) VALUES ($1, $2, 'inbound', 'XB240601000001', 'awaiting_deposit', $3, $4)`,
      [ids.parcel, ids.application, ids.ownSite, ids.compartment],
    );
    await db.query(
      `INSERT INTO access_codes (id, purpose, site_id, compartment_id, parcel_id, code_hash, holder, valid_from, expires_at) VALUES ($1, 'deposit', $2, $3, $4, '\\x0102', 'applicant', $5, $5::timestamptz + interval '3 days')`,
      [ids.code, ids.ownSite, ids.compartment, ids.parcel, T],
    );
    await db.query(
      `INSERT INTO custody_events (id, parcel_id, kind, from_state, to_state, actor_kind, actor_id, site_id, compartment, at, evidence, prev_hash, hash)
       VALUES ($1, $2, 'created', NULL, 'awaiting_deposit', 'applicant', $3, $4, 1, $5, '{"matter":"business-licence-change"}', NULL, 'h-created')`,
      [randomUUID(), ids.parcel, ids.user, ids.ownSite, T],
    );
    await db.query(
      `INSERT INTO kiosk_events (event_id, device_id, type, compartment, at, payload) VALUES ($1, $2, 'door_closed', 1, $3, '{"type":"door_closed"}')`,
      [randomUUID(), ids.device, T],
    );
    await db.query(
      `INSERT INTO courier_orders (id, parcel_id, kind, site_id, compartment_id, status) VALUES ($1, $2, 'pickup', $3, $4, 'creating')`,
      [randomUUID(), ids.parcel, ids.ownSite, ids.compartment],
    );
  },
  2: async (db) => {
    await db.query(
      `INSERT INTO sites (id, network, code, name, address, district, lat, lng, online, external_id, source_updated_at) VALUES ($1, 'postal', 'postal:BELL', '钟楼邮局柜', '东大街1号', '碑林区', 34.2610, 108.9423, true, 'BELL', $2)`,
      [ids.partnerSite, T],
    );
    await db.query(`INSERT INTO site_capacity (site_id, size, total, free, updated_at) VALUES ($1, 'S', 10, 4, $2), ($1, 'XL', 2, 0, $2)`, [
      ids.partnerSite,
      T,
    ]);
  },
  3: async (db) => {
    await db.query(
      `INSERT INTO access_codes (id, purpose, site_id, compartment_id, parcel_id, code_hash, offline_hash, holder, valid_from, expires_at)
       VALUES ($1, 'collect', $2, $3, $4, '\\x0304', '\\x0506', 'applicant', $5, $5::timestamptz + interval '7 days')`,
      [randomUUID(), ids.ownSite, ids.compartment, ids.parcel, T],
    );
  },
  4: async (db) => {
    await db.query(
      `INSERT INTO compartment_reassignments (request_id, device_id, code_id, from_command_id, to_command_id, from_compartment_id, to_compartment_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [randomUUID(), ids.device, ids.code, randomUUID(), randomUUID(), ids.compartment, ids.spare, T],
    );
    await db.query(
      `INSERT INTO kiosk_events (event_id, device_id, type, compartment, at, payload) VALUES ($1, $2, 'unlock_result', 1, $3, $4)`,
      [randomUUID(), ids.device, T, { type: 'unlock_result', commandId: randomUUID(), outcome: 'jammed' }],
    );
  },
  5: async (db) => {
    await db.query(
      `INSERT INTO applications (id, applicant_id, matter_id, status, channel_in, channel_out) VALUES ($1, $2, $3, 'submitted', 'partner_locker', 'post')`,
      [ids.partnerParcel, ids.user, ids.matter],
    );
    await db.query(
      `INSERT INTO parcels (id, application_id, direction, tracking_number, state, site_id) VALUES ($1, $2, 'inbound', 'XB240601000002', 'deposited', $3)`,
      [ids.partnerParcel, ids.partnerParcel, ids.partnerSite],
    );
    await db.query(
      `INSERT INTO partner_reservations (parcel_id, network, site_id, request_id, requested_size, status, reservation_id, device_id, compartment_no, size, expires_at, attempts)
       VALUES ($1, 'postal', $2, $4, 'S', 'deposited', 'R-1', 'BELL-1', 3, 'S', $3, 1)`,
      [ids.partnerParcel, ids.partnerSite, T, ids.partnerParcel],
    );
    await db.query(
      `INSERT INTO partner_events (network, event_id, seq, type, reservation_id, request_id, parcel_id, at, payload, source, outcome, received_at, decided_at)
       VALUES ('postal', 'E-1', 1, 'deposited', 'R-1', $1, $3, $2, '{"type":"deposited"}', 'webhook', 'applied', $2, $2)`,
      [ids.partnerParcel, T, ids.partnerParcel],
    );
    await db.query(
      `INSERT INTO partner_webhook_rejections (id, network, reason, status, body_sha256, body_bytes, received_at) VALUES ($1, 'postal', 'bad_signature', 401, 'ab', 2, $2)`,
      [randomUUID(), T],
    );
    await db.query(`INSERT INTO partner_event_cursors (network, cursor, updated_at) VALUES ('postal', '1', $1)`, [T]);
    await db.query(
      `INSERT INTO courier_orders (id, parcel_id, kind, site_id, compartment_id, status, code_sent_at) VALUES ($1, $2, 'pickup', $3, NULL, 'dispatched', $4)`,
      [randomUUID(), ids.partnerParcel, ids.partnerSite, T],
    );
  },
  6: async (db) => {
    await db.query(
      `INSERT INTO kiosk_events (event_id, device_id, type, compartment, at, payload) VALUES ($1, $2, 'fault', NULL, $3, $4)`,
      [randomUUID(), ids.device, T, { type: 'fault', fault: 'board_unreachable', bus: 'rs485-1', board: 0 }],
    );
    await db.query(
      `INSERT INTO unlock_outcomes (command_id, device_id, code_id, compartment_id, outcome, code_restored, reported_at, updated_at)
       VALUES ($1, $2, $3, $4, 'not_sent', true, $5, $5)`,
      [randomUUID(), ids.device, ids.code, ids.compartment, T],
    );
    await db.query(
      `INSERT INTO kiosk_alarms (id, site_id, device_id, kind, subject, bus, board, raised_at, last_seen_at, count)
       VALUES ($1, $2, $3, 'board_unreachable', 'board:rs485-1:0', 'rs485-1', 0, $4, $4, 16)`,
      [randomUUID(), ids.ownSite, ids.device, T],
    );
    await db.query(
      `INSERT INTO kiosk_bus_states (device_id, bus, state, frames, replies, timeouts, bad_frames_dropped, reopenings, reported_at, received_at)
       VALUES ($1, 'rs485-1', 'up', 10, 9, 1, 0, 0, $2, $2)`,
      [ids.device, T],
    );
  },
  7: async (db) => {
    await db.query(
      `INSERT INTO code_attempt_alarms (id, site_id, device_id, site_failures, device_failures, wait_ms, at) VALUES ($1, $2, $3, 10, 4, 2000, $4)`,
      [randomUUID(), ids.ownSite, ids.device, T],
    );
  },
  8: async (db) => {
    await db.query(
      `INSERT INTO partner_webhook_refusal_counts (network, reason, remote_address, minute, refusals, last_at)
       VALUES ('postal', 'bad_signature', '127.0.0.1', date_trunc('minute', $1::timestamptz), 3, $1)`,
      [T],
    );
  },
  9: async (db) => {
    await db.query(
      `INSERT INTO sessions (token_hash, user_id, expires_at, last_used_at, address_masked, user_agent) VALUES ('h2', $1, $2, $2, '203.0.113.x', 'curl/8')`,
      [ids.user, T],
    );
    await db.query(`UPDATE kiosk_devices SET deactivated_at = $2, key_rotated_at = $2 WHERE id = $1`, [ids.device, T]);
    await db.query(
      `INSERT INTO kiosk_connections (socket_id, device_id, site_id, hub_id, connected_at, seen_at) VALUES ('s-1', $1, $2, 'hub-1', $3, $3)`,
      [ids.device, ids.ownSite, T],
    );
    await db.query(
      `INSERT INTO applicant_notices (id, applicant_id, application_id, parcel_id, kind, message, details, created_at)
       VALUES ($1, $2, $3, $4, 'deposit_code_expired', 'expired', '{"whatNext":"apply again"}', $5)`,
      [randomUUID(), ids.user, ids.application, ids.parcel, T],
    );
  },
  10: async (db) => {
    // A code issued with its second factor: the keyed hashes only, and how the holder knows the factor.
    await db.query(
      `INSERT INTO access_codes (id, purpose, site_id, compartment_id, parcel_id, code_hash, offline_hash, factor_hash, offline_keypad_hash, factor_kind, holder, valid_from, expires_at)
       VALUES ($1, 'courier_pickup', $2, $3, $4, '\\x0a0b', NULL, '\\x0506', '\\x0708', 'pin', 'courier', $5, $5::timestamptz + interval '1 day')`,
      [randomUUID(), ids.ownSite, ids.compartment, ids.parcel, T],
    );
  },
  11: async (db) => {
    // The intake desk: a receipt of a known parcel (damaged, with a note) and an unannounced envelope.
    await db.query(
      `INSERT INTO intake_scans (id, tracking_number, parcel_id, result, condition, note, staff_id, scanned_at, parcel_state, flagged)
       VALUES ($1, 'XB240601000001', $2, 'received', 'damaged', 'corner torn', $3, $4, 'picked_up', true),
              ($5, 'XB000000000000', NULL, 'unannounced', 'ok', NULL, $3, $4, NULL, true)`,
      [randomUUID(), ids.parcel, ids.user, T, randomUUID()],
    );
  },
  12: async (db) => {
    const exception = randomUUID();
    await db.query(
      `INSERT INTO exceptions (id, kind, subject, parcel_id, application_id, site_id, detail, opened_at, last_seen_at, occurrences, closed_at, closed_by, note)
       VALUES ($1, 'code_expired', $2, $3, $4, $5, '{"compartment":1}', $6, $6, 2, $6, $7, 'applicant called, applied again')`,
      [exception, `code:${ids.code}`, ids.parcel, ids.application, ids.ownSite, T, ids.user],
    );
    await db.query(
      `INSERT INTO exception_actions (id, exception_id, action, actor_kind, actor_id, note, result, at) VALUES ($1, $2, 'close', 'staff', $3, 'done', '{}', $4)`,
      [randomUUID(), exception, ids.user, T],
    );
  },
  13: async (db) => {
    // One visit, one code (ADR 0023): a visit with its door, its code row and order linked to it, a
    // courier linked to the dispatch system, one webhook event and one PDA step.
    const visit = randomUUID();
    await db.query(
      `INSERT INTO courier_visits (id, kind, site_id, status, code_id, code_enc, dispatch_ref, courier_id, started_at, created_at, updated_at)
       VALUES ($1, 'pickup', $2, 'at_kiosk', $3, '\\x0102', 'EMS00000001', 'EMS-XA-001', $4, $4, $4)`,
      [visit, ids.ownSite, ids.code, T],
    );
    await db.query(
      `INSERT INTO courier_visit_doors (visit_id, position, parcel_id, compartment_id, state, command_id, request_id, item_at_grant, granted_at)
       VALUES ($1, 1, $2, $3, 'open', $4, $5, true, $6)`,
      [visit, ids.parcel, ids.compartment, randomUUID(), randomUUID(), T],
    );
    await db.query(`UPDATE access_codes SET visit_id = $2 WHERE id = $1`, [ids.code, visit]);
    await db.query(`UPDATE courier_orders SET visit_id = $1 WHERE parcel_id = $2`, [visit, ids.partnerParcel]);
    await db.query(`UPDATE users SET dispatch_courier_id = 'EMS-XA-001' WHERE id = $1`, [ids.user]);
    await db.query(
      `INSERT INTO courier_events (event_id, order_id, type, courier_id, at, payload, outcome, received_at)
       VALUES ('ce_1', $1, 'assigned', 'EMS-XA-001', $2, '{"type":"assigned"}', 'applied', $2)`,
      [visit, T],
    );
    await db.query(
      `INSERT INTO courier_visit_steps (visit_id, parcel_id, step, reason, user_id, at) VALUES ($1, $2, 'failed', 'locker_full', $3, $4)`,
      [visit, ids.parcel, ids.user, T],
    );
  },
  14: async (db) => {
    await db.query(
      `UPDATE applications SET channel_out = 'own_kiosk', return_site_id = $2, decided_at = $3, decided_by = $4, decision_note = 'ok', status = 'approved' WHERE id = $1`,
      [ids.application, ids.ownSite, T, ids.user],
    );
    await db.query(`UPDATE applications SET channel_out = 'mail', return_address = '西安市雁塔区科技路10号3单元502室' WHERE id = $1`, [
      ids.partnerParcel,
    ]);
    await db.query(
      `INSERT INTO result_holds (parcel_id, site_id, compartment_id, in_locker_at, hold_until, return_reason, return_ordered_at)
       VALUES ($1, $2, $3, $4, $4::timestamptz + interval '7 days', 'switched', $4)`,
      [ids.parcel, ids.ownSite, ids.compartment, T],
    );
    await db.query(
      `INSERT INTO courier_orders (id, parcel_id, kind, site_id, compartment_id, status, destination) VALUES ($1, $2, 'mail', NULL, NULL, 'creating', '西安市雁塔区科技路10号3单元502室')`,
      [randomUUID(), ids.partnerParcel],
    );
    await db.query(
      `INSERT INTO applicant_notices (id, applicant_id, application_id, parcel_id, kind, message, details, created_at)
       VALUES ($1, $2, $3, NULL, 'application_rejected', 'not approved', '{"reason":"x"}', $4),
              ($5, $2, $3, $6, 'result_reminder_collect', 'reminder', '{}', $4)`,
      [randomUUID(), ids.user, ids.partnerParcel, T, randomUUID(), ids.parcel],
    );
  },
  15: async (db) => {
    // A result delivered into a partner locker: a delivery reservation, and its hold by the partner's compartment number.
    await db.query(`UPDATE partner_reservations SET purpose = 'delivery' WHERE parcel_id = $1`, [ids.partnerParcel]);
    await db.query(
      `INSERT INTO result_holds (parcel_id, site_id, compartment_id, partner_compartment_no, in_locker_at, hold_until)
       VALUES ($1, $2, NULL, 7, $3, $3::timestamptz + interval '7 days')`,
      [ids.partnerParcel, ids.partnerSite, T],
    );
  },
  16: async (db) => {
    const notice = (await db.query(`SELECT id FROM applicant_notices ORDER BY created_at, id LIMIT 1`)).rows[0].id as string;
    await db.query(`UPDATE applicant_notices SET sent_at = $2, gateway_message_id = 'SM00000001' WHERE id = $1`, [notice, T]);
    await db.query(
      `INSERT INTO applicant_notices (id, applicant_id, application_id, parcel_id, kind, message, details, created_at)
       VALUES ($1, $2, $3, $4, 'deposit_code_issued', 'code issued', '{}', $5)`,
      [randomUUID(), ids.user, ids.application, ids.parcel, T],
    );
    await db.query(
      `INSERT INTO sms_receipts (event_id, message_id, notice_id, status, at, received_at) VALUES ('sr_1', 'SM00000001', $1, 'delivered', $2, $2)`,
      [notice, T],
    );
    await db.query(
      `INSERT INTO sms_sign_in_codes (id, phone_hash, code_hash, created_at, expires_at) VALUES ($1, 'ph', 'ch', $2, $2::timestamptz + interval '5 minutes')`,
      [randomUUID(), T],
    );
    await db.query(
      `INSERT INTO applicant_consents (id, user_id, terms, locker_delivery, terms_version, via, at) VALUES ($1, $2, true, false, 'v1', 'sms_sign_in', $3)`,
      [randomUUID(), ids.user, T],
    );
  },
  17: async (db) => {
    // Pre-review (ADR 0027): an application returned with a one-time notice, resubmitted, then
    // accepted with a material to follow under a commitment; its notices (two returns may be kept).
    await db.query(
      `UPDATE applications SET prereview = 'accepted_pending', materials = '[{"code":"application-form"}]', drop_site_id = $2, submitted_at = $3 WHERE id = $1`,
      [ids.application, ids.ownSite, T],
    );
    await db.query(
      `INSERT INTO prereview_steps (id, application_id, step, by_rules, actor_id, materials, notice, note, at)
       VALUES ($1, $4, 'submitted', false, $5, '[{"code":"application-form"}]', NULL, NULL, $6),
              ($2, $4, 'returned', false, $5, NULL, '{"number":1,"items":[{"material":"resolution","problem":"missing","whatToDo":"add it"}]}', NULL, $6),
              ($3, $4, 'accepted_pending', false, $5, NULL, NULL, 'copy follows', $6)`,
      [randomUUID(), randomUUID(), randomUUID(), ids.application, ids.user, T],
    );
    await db.query(
      `INSERT INTO material_commitments (application_id, materials, commitment, due_at, accepted_by, accepted_at)
       VALUES ($1, '["licence-copy"]', '本人承诺五个工作日内补交', $2::timestamptz + interval '5 days', $3, $2)`,
      [ids.application, T, ids.user],
    );
    await db.query(
      `INSERT INTO applicant_notices (id, applicant_id, application_id, parcel_id, kind, message, details, created_at)
       VALUES ($1, $3, $4, NULL, 'prereview_returned', 'notice 1', '{}', $5), ($2, $3, $4, NULL, 'prereview_returned', 'notice 2', '{}', $5)`,
      [randomUUID(), randomUUID(), ids.user, ids.application, T],
    );
  },
  18: async (db) => {
    // A result's kiosk order on the PDA (ADR 0029): its assigned courier, its sealed code, one step.
    const order = randomUUID();
    await db.query(
      `INSERT INTO courier_orders (id, parcel_id, kind, site_id, compartment_id, status, courier_id, code_id, code_enc)
       VALUES ($1, $2, 'delivery', $3, $4, 'dispatched', 'EMS-XA-001', $5, '\\x0102')`,
      [order, ids.parcel, ids.ownSite, ids.compartment, ids.code],
    );
    await db.query(
      `INSERT INTO courier_order_steps (order_id, parcel_id, step, reason, user_id, at) VALUES ($1, $2, 'failed', 'locker_full', $3, $4)`,
      [order, ids.parcel, ids.user, T],
    );
  },
  19: async (db) => {
    const rating = randomUUID();
    await db.query(
      `INSERT INTO ratings (id, application_id, applicant_id, grade, comment, rated_at) VALUES ($1, $2, $3, 2, '等太久', $4)`,
      [rating, ids.application, ids.user, T],
    );
    await db.query(
      `INSERT INTO rating_follow_ups (id, rating_id, opened_at, due_at, replied_at, replied_by, reply) VALUES ($1, $2, $3, $3::timestamptz + interval '7 days', $3, $4, '已整改')`,
      [randomUUID(), rating, T, ids.user],
    );
  },
  20: async (db) => {
    // 委托代领 (ADR 0033): a delegate with a code of their own; a compartment marked accessible; two resends of one parcel.
    await db.query(
      `INSERT INTO result_delegates (id, parcel_id, code_id, name, phone, created_by, created_at) VALUES ($1, $2, $3, '王五', '13911112222', $4, $5)`,
      [randomUUID(), ids.parcel, ids.code, ids.user, T],
    );
    await db.query(`UPDATE compartments SET accessible = true WHERE id = $1`, [ids.spare]);
    for (let i = 0; i < 2; i++)
      await db.query(
        `INSERT INTO applicant_notices (id, applicant_id, application_id, parcel_id, kind, message, details, created_at)
         VALUES ($1, $2, $3, $4, 'code_resent', 'resent', '{}', $5)`,
        [randomUUID(), ids.user, ids.application, ids.parcel, T],
      );
  },
  21: async (db) => {
    // The staff console (ADR 0034): the applicant told of the reply to their rating.
    await db.query(
      `INSERT INTO applicant_notices (id, applicant_id, application_id, parcel_id, kind, message, details, created_at)
       VALUES ($1, $2, $3, NULL, 'rating_replied', 'the hall replied to your rating', '{"matterName":"营业执照变更"}', $4)`,
      [randomUUID(), ids.user, ids.application, T],
    );
  },
  22: async (db) => {
    // An address pickup (ADR 0037): documents collected from the applicant's address, its order with
    // no site but the origin, and the applicant told that the courier found nobody home.
    const parcel = randomUUID();
    await db.query(
      `INSERT INTO parcels (id, application_id, direction, tracking_number, state) VALUES ($1, $2, 'inbound', 'XB240601000003', 'pickup_ordered')`,
      [parcel, ids.application],
    );
    await db.query(
      `INSERT INTO courier_orders (id, parcel_id, kind, site_id, compartment_id, status, origin, courier_id)
       VALUES ($1, $2, 'pickup', NULL, NULL, 'dispatched', '西安市雁塔区科技路10号3单元502室', 'EMS-XA-002')`,
      [randomUUID(), parcel],
    );
    await db.query(
      `INSERT INTO applicant_notices (id, applicant_id, application_id, parcel_id, kind, message, details, created_at)
       VALUES ($1, $2, $3, $4, 'pickup_failed', 'nobody home', '{"reason":"recipient_absent"}', $5)`,
      [randomUUID(), ids.user, ids.application, parcel, T],
    );
  },
};

describe('hub migrations, one at a time on a database with rows', () => {
  let db: TestDatabase;
  const migrations = loadMigrations();

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('applies each migration on the schema before it, keeps every row, and ends at the template schema', async () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    let before: Snapshot = new Map();
    for (const [i, m] of migrations.entries()) {
      const client = await db.pool.connect();
      try {
        expect(await migrate(client, migrations.slice(0, i + 1))).toEqual([m.version]);
      } finally {
        client.release();
      }
      const after = await snapshot(db.pool);
      // Every row that was there is still there, every value it had unchanged.
      for (const [table, rows] of before) {
        const now = after.get(table);
        expect({ migration: m.name, table, rows: now?.length }).toEqual({ migration: m.name, table, rows: rows.length });
        rows.forEach((row, r) =>
          expect({ migration: m.name, table, row: now![r] }).toEqual({ migration: m.name, table, row: expect.objectContaining(row) }),
        );
      }
      await ROWS_AFTER[m.version]?.(db.pool);
      before = await snapshot(db.pool);
    }

    // Old rows got the later columns' defaults and generated values.
    const hall = (
      await db.pool.query(`SELECT external_id, retired_at, position IS NOT NULL AS placed FROM sites WHERE id = $1`, [ids.ownSite])
    ).rows[0];
    expect(hall).toEqual({ external_id: null, retired_at: null, placed: true });
    const code = (
      await db.pool.query(
        `SELECT offline_hash, sync_version, used_offline, factor_hash, offline_keypad_hash, factor_kind FROM access_codes WHERE id = $1`,
        [ids.code],
      )
    ).rows[0];
    // A code from before the second factor has none: it opens by its QR form only (ADR 0018).
    expect(code).toEqual({
      offline_hash: null,
      sync_version: '0',
      used_offline: false,
      factor_hash: null,
      offline_keypad_hash: null,
      factor_kind: null,
    });
    // … and the rows written at the end are searchable by what the last migrations built.
    const near = await db.pool.query(`SELECT id FROM nearby_sites(34.2610, 108.9423, 1000, 0, 10)`);
    expect(near.rows).toEqual([{ id: ids.partnerSite }]);

    // Every table of the final schema held rows through the steps (a new table needs rows above).
    const empty = [...before].filter(([, rows]) => rows.length === 0).map(([table]) => table);
    expect(empty).toEqual([]);
    expect(before.get('custody_events')).toHaveLength(1);

    const template = new pg.Client({
      connectionString: Object.assign(new URL(db.url), { pathname: `/${templateDatabaseName()}` }).toString(),
    });
    await template.connect();
    try {
      const ours = await schemaOf(db.pool);
      expect(ours).toEqual(await schemaOf(template));
      // not vacuous: the catalogue queries see the schema
      expect(ours.columns.length).toBeGreaterThan(100);
      expect(ours.functions.length).toBeGreaterThanOrEqual(4);
      expect(ours.triggers.length).toBeGreaterThanOrEqual(2);
      expect(ours.rules).toHaveLength(2);
    } finally {
      await template.end();
    }
  }, 60_000);
});
