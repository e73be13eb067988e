// The people's live socket (`/people`): a signed-in person (the same bearer token as the HTTP API,
// in the handshake's `auth.token`) joins their own room, staff and admins the staff room too, and is
// told `tracking:step` for every custody event of what they follow and `tracking:application` for
// every step of their applications themselves. Nothing is accepted from the
// client: an event it sends is answered `not_allowed` if it asks for an answer. The session is checked
// at the handshake and again every `recheckMs`, so a signed-out or expired token loses the socket.
import type { Logger } from 'pino';
import type { Namespace, Server } from 'socket.io';
import { userForToken, type User } from '../auth/auth.js';
import type { Db } from '../../store/db.js';
import { STAFF_ROOM, userRoom, type ApplicationStep, type StepSink, type TrackingStep } from './service.js';

export const PEOPLE_NAMESPACE = '/people';

export interface PeopleServerToClient {
  'tracking:step': (step: TrackingStep) => void;
  'tracking:application': (step: ApplicationStep) => void;
}
export type PeopleNamespace = Namespace<Record<string, never>, PeopleServerToClient, Record<string, never>, { user: User; token: string }>;

export function mountPeopleNamespace(
  io: Server,
  deps: { db: Db; now: () => Date; log: Logger; recheckMs: number },
): { namespace: PeopleNamespace; sink: StepSink } {
  const ns = io.of(PEOPLE_NAMESPACE) as unknown as PeopleNamespace;
  ns.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 200) return next(new Error('unauthorized'));
    userForToken(deps.db, token, deps.now()).then(
      (user) => {
        if (!user) return next(new Error('unauthorized'));
        socket.data.user = user;
        socket.data.token = token;
        next();
      },
      (err: unknown) => {
        deps.log.error({ err }, 'people socket: could not check a session');
        next(new Error('unavailable'));
      },
    );
  });
  ns.on('connection', (socket) => {
    const { user } = socket.data;
    void socket.join(user.role === 'staff' || user.role === 'admin' ? [userRoom(user.id), STAFF_ROOM] : [userRoom(user.id)]);
    socket.onAny((...args: unknown[]) => {
      const ack = args[args.length - 1];
      if (typeof ack === 'function')
        (ack as (r: unknown) => void)({
          status: 'error',
          error: { code: 'not_allowed', message: 'this socket only tells; use the HTTP API' },
        });
    });
    const recheck = setInterval(() => {
      userForToken(deps.db, socket.data.token, deps.now()).then(
        (still) => {
          if (!still) socket.disconnect(true);
        },
        () => undefined,
      );
    }, deps.recheckMs);
    recheck.unref();
    socket.on('disconnect', () => clearInterval(recheck));
  });
  return {
    namespace: ns,
    sink: {
      tell: (rooms, step) => ns.to(rooms).emit('tracking:step', step),
      tellApplication: (rooms, step) => ns.to(rooms).emit('tracking:application', step),
    },
  };
}
