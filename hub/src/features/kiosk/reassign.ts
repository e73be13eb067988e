// Another compartment for a deposit whose door jammed. Only the kiosk that holds the jammed command
// may ask, only after it reported that command's unlock as jammed, and only for a deposit still
// awaiting its documents (for a collection or a courier pickup the documents are behind the jammed
// door). In one transaction the jammed compartment goes out of service, a free fitting compartment
// at the same site is reserved, the parcel and its code move there with a `compartment_reassigned`
// custody event, and the code gets a new command id that the kiosk executes once. A retried request
// id, or a second request for the same jammed command, gets the same grant and writes nothing.
import { v7 as uuidv7 } from 'uuid';
import { fail, ok, type CodeGrant, type CodePurpose, type CodeReassign, type Reply } from '@xinbao/protocol';
import { chooseCompartment, judgeReassignment, type CompartmentSize } from '../../domain/compartments.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { appendCustody, lockParcel } from '../../store/parcels.js';

export interface Reassigner {
  deviceId: string;
  siteId: string;
}

interface PriorReassignment {
  deviceId: string;
  fromCommandId: string;
  grant: CodeGrant;
}

async function priorReassignment(tx: Tx, where: 'request_id' | 'from_command_id', id: string): Promise<PriorReassignment | null> {
  const r = await tx.query<{ deviceId: string; fromCommandId: string; commandId: string; compartment: number; purpose: CodePurpose; trackingNumber: string }>(
    `SELECT r.device_id AS "deviceId", r.from_command_id AS "fromCommandId", r.to_command_id AS "commandId",
       k.number AS compartment, c.purpose, p.tracking_number AS "trackingNumber"
     FROM compartment_reassignments r JOIN compartments k ON k.id = r.to_compartment_id
       JOIN access_codes c ON c.id = r.code_id JOIN parcels p ON p.id = c.parcel_id
     WHERE r.${where} = $1`,
    [id],
  );
  const row = r.rows[0];
  if (!row) return null;
  const { deviceId, fromCommandId, ...grant } = row;
  return { deviceId, fromCommandId, grant };
}

const UNKNOWN = fail('unknown_command', 'this locker has no such open command');

export async function reassignCompartment(db: Db, kiosk: Reassigner, req: CodeReassign, now: Date): Promise<Reply<CodeGrant>> {
  return withTransaction(db, async (tx): Promise<Reply<CodeGrant>> => {
    const again = await priorReassignment(tx, 'request_id', req.requestId);
    if (again) {
      return again.deviceId === kiosk.deviceId && again.fromCommandId === req.commandId ? ok(again.grant) : UNKNOWN;
    }
    const code = (
      await tx.query<{ id: string; purpose: CodePurpose; parcelId: string; compartmentId: string; number: number; size: CompartmentSize; usedByDevice: string | null; siteId: string }>(
        `SELECT c.id, c.purpose, c.parcel_id AS "parcelId", c.compartment_id AS "compartmentId", k.number, k.size,
           c.used_by_device AS "usedByDevice", c.site_id AS "siteId"
         FROM access_codes c JOIN compartments k ON k.id = c.compartment_id
         WHERE c.command_id = $1 FOR UPDATE OF c`,
        [req.commandId],
      )
    ).rows[0];
    if (!code) {
      // Already moved (by another request for the same jammed command): the same answer again.
      const moved = await priorReassignment(tx, 'from_command_id', req.commandId);
      return moved && moved.deviceId === kiosk.deviceId ? ok(moved.grant) : UNKNOWN;
    }
    if (code.usedByDevice !== kiosk.deviceId || code.siteId !== kiosk.siteId) return UNKNOWN;

    const reported = await tx.query<{ outcome: 'opened' | 'jammed' | 'failed' }>(
      `SELECT payload->>'outcome' AS outcome FROM kiosk_events
       WHERE type = 'unlock_result' AND payload->>'commandId' = $1 AND device_id = $2 ORDER BY at DESC LIMIT 1`,
      [req.commandId, kiosk.deviceId],
    );
    const parcel = await lockParcel(tx, code.parcelId);
    const verdict = judgeReassignment({ purpose: code.purpose, unlockOutcome: reported.rows[0]?.outcome ?? null, parcelState: parcel.state });
    switch (verdict) {
      case 'allowed':
        break;
      case 'not_jammed':
        return fail('not_jammed', 'this locker has not reported this door as jammed');
      case 'not_reassignable':
        return fail('not_reassignable', 'the documents for this code are behind the jammed door; staff will open it');
    }

    // Out of service whatever happens next: nobody should be sent to this door again.
    await tx.query(`UPDATE compartments SET state = 'faulty', updated_at = $2 WHERE id = $1`, [code.compartmentId, now]);
    const need = (
      await tx.query<{ size: CompartmentSize }>(
        `SELECT m.parcel_size AS size FROM parcels p JOIN applications a ON a.id = p.application_id
         JOIN service_matters m ON m.id = a.matter_id WHERE p.id = $1`,
        [parcel.id],
      )
    ).rows[0]?.size ?? code.size;
    const free = await tx.query<{ id: string; number: number; size: CompartmentSize }>(
      `SELECT id, number, size FROM compartments WHERE site_id = $1 AND state = 'free' FOR UPDATE SKIP LOCKED`,
      [kiosk.siteId],
    );
    const target = chooseCompartment(free.rows, need);
    if (!target) return fail('no_free_compartment', `no other compartment of size ${need} or larger is free at this locker`);

    const commandId = uuidv7();
    await tx.query(`UPDATE compartments SET state = 'reserved', updated_at = $2 WHERE id = $1`, [target.id, now]);
    await tx.query('UPDATE parcels SET compartment_id = $2, updated_at = $3 WHERE id = $1', [parcel.id, target.id, now]);
    // A new door cycle begins: the jam's resolution of the old one no longer closes this code.
    await tx.query('UPDATE access_codes SET compartment_id = $2, command_id = $3, resolved_at = NULL WHERE id = $1', [code.id, target.id, commandId]);
    await tx.query(
      `INSERT INTO compartment_reassignments (request_id, device_id, code_id, from_command_id, to_command_id, from_compartment_id, to_compartment_id, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [req.requestId, kiosk.deviceId, code.id, req.commandId, commandId, code.compartmentId, target.id, now],
    );
    await appendCustody(tx, parcel, 'compartment_reassigned', parcel.state, parcel.state, {
      actor: { kind: 'kiosk', id: kiosk.deviceId },
      at: now,
      siteId: kiosk.siteId,
      compartment: target.number,
      evidence: { requestId: req.requestId, fromCompartment: code.number, toCompartment: target.number, fromCommandId: req.commandId, toCommandId: commandId },
    });
    return ok({ commandId, compartment: target.number, purpose: code.purpose, trackingNumber: parcel.trackingNumber });
  });
}
