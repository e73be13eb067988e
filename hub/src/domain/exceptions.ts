// Exceptions as records (ADR 0022): what can go wrong with a parcel that a person must look at, and
// what each action staff take on one does. An exception is found again by its natural key (kind +
// subject), so a cause reported twice never opens two; these rules say which action applies to
// which kind, decided before anything is written.

/** The kinds the hub opens today and those the other issue-11 slices open at merge time. */
export const EXCEPTION_KINDS = [
  'unannounced_parcel',
  'never_received',
  'damaged',
  'wrong_envelope',
  'courier_failed',
  'missing_at_pickup',
  'unlock_jammed',
  'unlock_unconfirmed',
  'code_expired',
  'partner_failed',
  'notice_undeliverable',
] as const;
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];

export const EXCEPTION_ACTIONS = ['retry', 'reassign', 'contact', 'close'] as const;
export type ExceptionAction = (typeof EXCEPTION_ACTIONS)[number];

/** The natural key's subject: what the exception is about, one per cause. */
export const exceptionSubject = {
  command: (commandId: string) => `command:${commandId}`,
  parcel: (parcelId: string) => `parcel:${parcelId}`,
  code: (codeId: string) => `code:${codeId}`,
  partnerEvent: (network: string, eventId: string) => `partner-event:${network}:${eventId}`,
  pickup: (parcelId: string) => `pickup:${parcelId}`,
  reservation: (parcelId: string) => `reservation:${parcelId}`,
  /** a scanned tracking number the hub did not expect (no parcel, or not yet picked up) */
  tracking: (trackingNumber: string) => `tracking:${trackingNumber}`,
  /** a courier's reported failure, for one parcel of its order or visit */
  courierEvent: (eventId: string, parcelId: string) => `courier-event:${eventId}:${parcelId}`,
  /** a failure the courier reported on the PDA, for one parcel of a visit or a result's order */
  courierStep: (taskId: string, parcelId: string) => `courier-step:${taskId}:${parcelId}`,
  /** an applicant notice that could not be sent, or whose SMS was not delivered */
  notice: (noticeId: string) => `notice:${noticeId}`,
} as const;

/** What an action does to an exception of a kind, once it is allowed. */
export type ActionEffect =
  /** recorded, nothing else: the person was called, the note says what was agreed */
  | 'record'
  /** recorded and the exception closed */
  | 'close'
  /** the courier pickup order is given to the courier queue again */
  | 'retry_pickup'
  /** the jammed deposit moves to another compartment of its site, its code given back to open it */
  | 'reassign_compartment';

export type ActionVerdict =
  | { ok: true; effect: ActionEffect }
  | { ok: false; status: 400 | 409; code: 'note_required' | 'exception_closed' | 'not_applicable'; message: string };

const RETRY: Partial<Record<ExceptionKind, ActionEffect>> = { courier_failed: 'retry_pickup' };
const REASSIGN: Partial<Record<ExceptionKind, ActionEffect>> = { unlock_jammed: 'reassign_compartment' };

export function judgeExceptionAction(
  e: { kind: string; closed: boolean },
  action: ExceptionAction,
  note: string | undefined,
): ActionVerdict {
  if (e.closed)
    return { ok: false, status: 409, code: 'exception_closed', message: 'this exception is closed; nothing more is done on it' };
  const kind = e.kind as ExceptionKind;
  switch (action) {
    case 'close':
      if (!note?.trim())
        return { ok: false, status: 400, code: 'note_required', message: 'closing an exception needs a note saying what was done' };
      return { ok: true, effect: 'close' };
    case 'contact':
      return { ok: true, effect: 'record' };
    case 'retry': {
      const effect = RETRY[kind];
      if (effect) return { ok: true, effect };
      return {
        ok: false,
        status: 409,
        code: 'not_applicable',
        message: `there is nothing the hub can retry for ${kind}; contact or close it`,
      };
    }
    case 'reassign': {
      const effect = REASSIGN[kind];
      if (effect) return { ok: true, effect };
      return {
        ok: false,
        status: 409,
        code: 'not_applicable',
        message: `only a jammed deposit door can be reassigned to another compartment, not ${kind}`,
      };
    }
  }
}

/** Whether a parcel `picked_up` at `pickedUpAt` is overdue at the hall by `now` (NEVER_RECEIVED_AFTER_HOURS). */
export function neverReceived(pickedUpAt: Date, now: Date, afterHours: number): boolean {
  return now.getTime() - pickedUpAt.getTime() >= afterHours * 3_600_000;
}
