// The courier dispatch simulator's autopilot: SIMULATED couriers (couriers.ts) that do their rounds
// by themselves, switched on and off through the simulator's control API, so that the demo walks a
// whole round trip with nobody playing the courier (and, off by default, leaves the orders to a
// person on the PDA). `PUT /control/couriers { on, places }` switches it and says where the own
// kiosks are (their agent's local API and their lock boards' control API); `GET /control/couriers`
// tells its state and every round done so far.
import type express from 'express';
import { z } from 'zod';
import { SimulatedCourier, type CourierRound, type OwnKioskPlace } from './couriers.js';
import type { SimulatedCourierProfile } from './server.js';

const Place = z
  .object({
    kind: z.literal('own'),
    /** the kiosk agent's local API */
    kioskUrl: z.string().url(),
    /** the lock boards' control API (the person at the locker) */
    controlUrl: z.string().url(),
    /** the board address and the lock of compartment 1 (compartment n is lock firstLock + n − 1) */
    board: z.number().int().min(0).max(255),
    firstLock: z.number().int().min(0).max(255),
  })
  .strict();
export type AutopilotPlace = z.infer<typeof Place>;

export const AutopilotBody = z
  .object({
    on: z.boolean().optional(),
    /** by site code */
    places: z.record(z.string().min(1).max(64), Place).optional(),
  })
  .strict();
export type AutopilotBody = z.infer<typeof AutopilotBody>;

export interface AutopilotState {
  on: boolean;
  couriers: string[];
  places: string[];
  rounds: Array<CourierRound & { courierId: string }>;
}

export interface CourierAutopilot {
  /** mounts GET/PUT /control/couriers on the simulator's app (`routes` of startCourierDispatchSimulator) */
  routes(app: express.Express): void;
  /** where the simulator listens (known once it does) */
  bind(dispatchUrl: string): void;
  set(body: AutopilotBody): Promise<AutopilotState>;
  state(): AutopilotState;
  stop(): Promise<void>;
}

export function courierAutopilot(opts: {
  couriers: SimulatedCourierProfile[];
  on?: boolean;
  travelMs?: number;
  handleMs?: number;
  /** how long a courier with nothing to do waits before looking at its orders again */
  everyMs?: number;
}): CourierAutopilot {
  let dispatchUrl: string | null = null;
  let on = opts.on ?? false;
  let places: Record<string, AutopilotPlace> = {};
  let running: Array<{ id: string; courier: SimulatedCourier }> = [];
  const done: AutopilotState['rounds'] = [];

  const ownPlace = (p: AutopilotPlace): OwnKioskPlace => ({
    kind: 'own',
    kioskUrl: p.kioskUrl,
    controlUrl: p.controlUrl,
    lockOf: (c) => ({ board: p.board, lock: p.firstLock + c - 1 }),
  });
  const halt = async () => {
    const stopping = running;
    running = [];
    await Promise.all(
      stopping.map(async ({ id, courier }) => {
        await courier.stop();
        done.push(...courier.rounds.map((r) => ({ ...r, courierId: id })));
      }),
    );
  };
  const launch = () => {
    if (!on || !dispatchUrl) return;
    const url = dispatchUrl;
    running = opts.couriers.map((c) => {
      const courier = new SimulatedCourier({
        dispatchUrl: url,
        courierId: c.id,
        travelMs: opts.travelMs ?? 2_000,
        handleMs: opts.handleMs ?? 1_500,
        // the hub hears of each step before the next: custody tells the round in the order it happened
        awaitWebhooks: true,
        places: Object.fromEntries(Object.entries(places).map(([code, p]) => [code, ownPlace(p)])),
      });
      courier.start(opts.everyMs ?? 2_000);
      return { id: c.id, courier };
    });
  };
  const state = (): AutopilotState => ({
    on,
    couriers: opts.couriers.map((c) => c.id),
    places: Object.keys(places),
    rounds: [...done, ...running.flatMap(({ id, courier }) => courier.rounds.map((r) => ({ ...r, courierId: id })))],
  });
  const set = async (body: AutopilotBody) => {
    // Any change: the couriers in the road finish their round and set off again with what is new.
    await halt();
    if (body.on !== undefined) on = body.on;
    if (body.places) places = { ...places, ...body.places };
    launch();
    return state();
  };

  return {
    routes: (app) => {
      app.get('/control/couriers', (_req, res) => {
        res.json(state());
      });
      app.put('/control/couriers', (req, res, next) => {
        const body = AutopilotBody.safeParse(req.body);
        if (!body.success) {
          res.status(400).json({
            error: { code: 'bad_request', message: body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') },
          });
          return;
        }
        set(body.data).then((s) => res.json(s), next);
      });
    },
    bind: (url) => {
      dispatchUrl = url;
      launch();
    },
    set,
    state,
    stop: halt,
  };
}
