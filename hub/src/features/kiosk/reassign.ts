// Another compartment for a deposit whose door jammed. Only the kiosk that holds the jammed command
// may ask, only after it reported that command's unlock as jammed, and only for a deposit still
// awaiting its documents (for a collection or a courier pickup the documents are behind the jammed
// door). In one transaction the jammed compartment goes out of service, a free fitting compartment
// at the same site is reserved, the parcel and its code move there with a `compartment_reassigned`
// custody event, and the code gets a new command id that the kiosk executes once. A retried request
// id, or a second request for the same jammed command, gets the same grant and writes nothing.
import { v7 as uuidv7 } from 'uuid';
import { fail, ok, type CodeGrant, type CodeReassign, type Reply } from '@xinbao/protocol';
import { chooseCompartment, judgeReassignment } from '../../domain/compartments.js';
import { withTransaction, type Db } from '../../store/db.js';
import { lockFreeCompartments, setCompartmentState } from '../../store/compartments.js';
import { appendCustody, lockParcel, setParcelCompartment } from '../../store/parcels.js';
import { moveCodeToCompartment } from '../codes/store.js';
import { insertReassignment, lastUnlockOutcome, lockCodeWithCompartment, neededSize, priorReassignment } from './store.js';

export interface Reassigner {
  deviceId: string;
  siteId: string;
}

const UNKNOWN = fail('unknown_command', 'this locker has no such open command');

export async function reassignCompartment(db: Db, kiosk: Reassigner, req: CodeReassign, now: Date): Promise<Reply<CodeGrant>> {
  return withTransaction(db, async (tx): Promise<Reply<CodeGrant>> => {
    const again = await priorReassignment(tx, 'request_id', req.requestId);
    if (again) {
      return again.deviceId === kiosk.deviceId && again.fromCommandId === req.commandId ? ok(again.grant) : UNKNOWN;
    }
    const code = await lockCodeWithCompartment(tx, req.commandId);
    if (!code) {
      // Already moved (by another request for the same jammed command): the same answer again.
      const moved = await priorReassignment(tx, 'from_command_id', req.commandId);
      return moved && moved.deviceId === kiosk.deviceId ? ok(moved.grant) : UNKNOWN;
    }
    if (code.usedByDevice !== kiosk.deviceId || code.siteId !== kiosk.siteId) return UNKNOWN;

    const unlockOutcome = await lastUnlockOutcome(tx, kiosk.deviceId, req.commandId);
    const parcel = await lockParcel(tx, code.parcelId);
    const verdict = judgeReassignment({ purpose: code.purpose, unlockOutcome, parcelState: parcel.state });
    switch (verdict) {
      case 'allowed':
        break;
      case 'not_jammed':
        return fail('not_jammed', 'this locker has not reported this door as jammed');
      case 'not_reassignable':
        return fail('not_reassignable', 'the documents for this code are behind the jammed door; staff will open it');
    }

    // Out of service whatever happens next: nobody should be sent to this door again.
    await setCompartmentState(tx, code.compartmentId, 'fault', now);
    const need = (await neededSize(tx, parcel.id)) ?? code.size;
    const target = chooseCompartment(await lockFreeCompartments(tx, kiosk.siteId), need);
    if (!target) return fail('no_free_compartment', `no other compartment of size ${need} or larger is free at this locker`);

    const commandId = uuidv7();
    await setCompartmentState(tx, target.id, 'reserve', now);
    await setParcelCompartment(tx, parcel.id, target.id, now);
    // A new door cycle begins: the jam's resolution of the old one no longer closes this code.
    await moveCodeToCompartment(tx, code.id, target.id, commandId);
    await insertReassignment(tx, {
      requestId: req.requestId,
      deviceId: kiosk.deviceId,
      codeId: code.id,
      fromCommandId: req.commandId,
      toCommandId: commandId,
      fromCompartmentId: code.compartmentId,
      toCompartmentId: target.id,
      at: now,
    });
    await appendCustody(tx, parcel, 'compartment_reassigned', parcel.state, parcel.state, {
      actor: { kind: 'kiosk', id: kiosk.deviceId },
      at: now,
      siteId: kiosk.siteId,
      compartment: target.number,
      evidence: {
        requestId: req.requestId,
        fromCompartment: code.number,
        toCompartment: target.number,
        fromCommandId: req.commandId,
        toCommandId: commandId,
      },
    });
    return ok({ commandId, compartment: target.number, purpose: code.purpose, trackingNumber: parcel.trackingNumber });
  });
}
