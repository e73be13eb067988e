// The hall's intake desk: one scanned tracking number in, one answer out. A picked-up parcel is
// received into the processing queue (its move, custody event and receipt in one transaction); a
// result the courier brought back from its locker is returned_to_hall and goes on by the channel its
// applicant chose (the results slice, same transaction; a mail order is sent after the commit); the
// same envelope scanned again writes nothing and says when and by whom it was received; an envelope
// the hub did not expect is recorded and flagged; one that cannot be received is refused with why.
import { decideScan, scanMessage, type EnvelopeCondition, type ScanDecision } from '../../domain/intake-scan.js';
import { maskName } from '../../domain/masking.js';
import { isValidTrackingNumber } from '../../domain/tracking-number.js';
import type { ParcelState } from '../../domain/parcel-journey.js';
import { BadRequest } from '../../errors.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { findParcelByTrackingNumber, lockParcel, moveParcel, type Parcel } from '../../store/parcels.js';
import { exceptionSubject } from '../../domain/exceptions.js';
import { openException } from '../../store/exceptions.js';
import { resultBackAtHall, type OrderToSend } from '../results/service.js';
import { deskParcelFacts, firstReceipt, insertScan, unannouncedRecord } from './store.js';
import { recordNotice } from '../notifications/store.js';

export interface Scan {
  trackingNumber: string;
  condition: EnvelopeCondition;
  note?: string | undefined;
}

export interface DeskParcel {
  id: string;
  trackingNumber: string;
  applicationId: string;
  matter: { code: string; name: string };
  /** masked */
  applicant: string;
  state: ParcelState;
}

export interface ScanAnswer {
  result: ScanDecision['result'];
  /** why an unannounced parcel was not expected, why a refused one cannot be received */
  reason?: string;
  message: string;
  /** false when the scan wrote nothing (a repeat) */
  recorded: boolean;
  parcel?: DeskParcel;
  receivedAt?: Date;
  /** masked */
  receivedBy?: string;
}

export async function scanAtIntake(db: Db, scan: Scan, staffId: string, at: Date): Promise<ScanAnswer & { toSend?: OrderToSend | null }> {
  const { trackingNumber, condition } = scan;
  if (!isValidTrackingNumber(trackingNumber)) {
    throw new BadRequest(`${trackingNumber} is not a valid tracking number (check the digits)`, undefined, 'bad_tracking_number');
  }
  const note = scan.note?.trim() ? scan.note.trim() : null;
  return withTransaction(db, async (tx) => {
    const found = await findParcelByTrackingNumber(tx, trackingNumber);
    // Two desks scanning one envelope queue up here; the second sees the first's receipt.
    const parcel = found && (await lockParcel(tx, found.id));
    const decision = decideScan(parcel);
    switch (decision.result) {
      case 'received': {
        const ctx = { actor: { kind: 'staff' as const, id: staffId }, at, evidence: { desk: 'intake', condition, ...(note && { note }) } };
        // A result back from its locker (the courier's pickup made it `returning`), or documents handed in.
        const back = parcel!.direction === 'outbound' ? await resultBackAtHall(tx, parcel!, ctx) : null;
        const moved = back ? back.parcel : await moveParcel(tx, parcel!, 'received_at_hall', ctx);
        // Documents handed in: the applicant is told they reached the hall (a result back is told by its channel).
        if (!back) await recordNotice(tx, { parcelId: moved.id, kind: 'received_at_hall', at });
        await insertScan(tx, {
          trackingNumber,
          parcelId: moved.id,
          result: 'received',
          condition,
          note,
          staffId,
          scannedAt: at,
          parcelState: parcel!.state,
          flagged: condition !== 'ok',
        });
        // A damaged or wrong envelope is received and goes on a list staff work through (ADR 0022).
        if (condition !== 'ok') {
          await openException(tx, {
            kind: condition === 'damaged' ? 'damaged' : 'wrong_envelope',
            subject: exceptionSubject.parcel(moved.id),
            parcelId: moved.id,
            detail: { trackingNumber, condition, ...(note && { note }) },
            at,
          });
        }
        return {
          result: 'received',
          message: back ? `${trackingNumber}: the result is back at the hall (${moved.state})` : scanMessage(decision, trackingNumber),
          recorded: true,
          parcel: await deskParcel(tx, moved),
          receivedAt: at,
          toSend: back?.toSend ?? null,
        };
      }
      case 'already_received': {
        const first = await firstReceipt(tx, parcel!.id);
        const by = first && maskName(first.staffName);
        return {
          result: 'already_received',
          message: scanMessage(decision, trackingNumber, first && by ? { at: first.at, by } : undefined),
          recorded: false,
          parcel: await deskParcel(tx, parcel!),
          ...(first && { receivedAt: first.at, receivedBy: maskName(first.staffName) }),
        };
      }
      case 'unannounced': {
        const recorded = await insertScan(tx, {
          trackingNumber,
          parcelId: parcel?.id ?? null,
          result: 'unannounced',
          condition,
          note,
          staffId,
          scannedAt: at,
          parcelState: parcel?.state ?? null,
          flagged: true,
        });
        if (recorded) {
          await openException(tx, {
            kind: 'unannounced_parcel',
            subject: exceptionSubject.tracking(trackingNumber),
            parcelId: parcel?.id ?? null,
            detail: { trackingNumber, parcelState: parcel?.state ?? null, condition, ...(note && { note }) },
            at,
          });
        }
        const earlier = recorded ? null : await unannouncedRecord(tx, trackingNumber);
        return {
          result: 'unannounced',
          reason: decision.why,
          message: earlier
            ? `${scanMessage(decision, trackingNumber)} (already recorded by ${maskName(earlier.staffName)})`
            : scanMessage(decision, trackingNumber),
          recorded,
          ...(parcel && { parcel: await deskParcel(tx, parcel) }),
          ...(earlier && { receivedAt: earlier.at, receivedBy: maskName(earlier.staffName) }),
        };
      }
      case 'refused':
        return {
          result: 'refused',
          reason: decision.reason,
          message: scanMessage(decision, trackingNumber),
          recorded: false,
          parcel: await deskParcel(tx, parcel!),
        };
    }
  });
}

async function deskParcel(tx: Tx, p: Parcel): Promise<DeskParcel> {
  const facts = await deskParcelFacts(tx, p.applicationId);
  return {
    id: p.id,
    trackingNumber: p.trackingNumber,
    applicationId: p.applicationId,
    matter: { code: facts.matterCode, name: facts.matterName },
    applicant: maskName(facts.applicantName),
    state: p.state,
  };
}
