// The `/people` socket (ADR 0031) as a hook: connected while the page is mounted, it says whether
// it is live and runs `onChange` on every (re)connection and on each step `wanted` picks — so a
// page that reloads its view then misses nothing told while the socket was away (ADR 0036).
import { useEffect, useRef, useState } from 'react';
import { io } from 'socket.io-client';
import { token } from './api.js';

export type LiveState = 'connecting' | 'live' | 'offline';

/** What a `tracking:step` (a custody event) or `tracking:application` (an application's own step) carries that a page may pick by. */
export interface LiveStep {
  applicationId?: string;
}

export function useLive(wanted: (step: LiveStep) => boolean, onChange: () => void): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const latest = useRef({ wanted, onChange });
  latest.current = { wanted, onChange };
  useEffect(() => {
    const auth = token.get();
    if (!auth) return;
    // A handshake that never completes (a half-open network) is given up after 5 s and tried again, not after socket.io's 20 s.
    const socket = io('/people', { auth: { token: auth }, transports: ['websocket'], reconnectionDelayMax: 5_000, timeout: 5_000 });
    socket.on('connect', () => {
      setState('live');
      latest.current.onChange();
    });
    socket.on('disconnect', (reason) => {
      setState('offline');
      // The hub ended it (e.g. a session check): try again; a session that ended fails the handshake.
      if (reason === 'io server disconnect') socket.connect();
    });
    socket.on('connect_error', (err) => {
      setState('offline');
      if (err.message === 'unauthorized') socket.disconnect();
    });
    const step = (s: LiveStep) => {
      if (latest.current.wanted(s)) latest.current.onChange();
    };
    socket.on('tracking:step', step);
    socket.on('tracking:application', step);
    return () => {
      socket.disconnect();
    };
  }, []);
  return state;
}
