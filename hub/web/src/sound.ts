// Beeps for a clerk who is not looking at the screen: one high beep for received, two low for
// anything that needs a look (refused, unannounced, not read), one middle beep for a repeat.
import type { Tone } from './intake-session.js';

/** [frequency Hz, duration ms] per beep, a short gap between. */
export const BEEPS: Record<Tone, Array<[number, number]>> = {
  accepted: [[1320, 140]],
  warning: [[660, 220]],
  refused: [
    [220, 200],
    [220, 200],
  ],
};

let context: AudioContext | null = null;

export function beep(tone: Tone): void {
  // What was last played, for a browser test to check (it cannot hear).
  document.body.dataset.beeps = `${document.body.dataset.beeps ?? ''}${tone[0]!}`;
  try {
    context ??= new AudioContext();
    const ctx = context;
    if (ctx.state === 'suspended') void ctx.resume();
    let t = ctx.currentTime + 0.01;
    for (const [hz, ms] of BEEPS[tone]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.15, t);
      gain.gain.setValueAtTime(0, t + ms / 1000);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + ms / 1000);
      t += ms / 1000 + 0.08;
    }
  } catch {
    // No audio device (a headless browser, a locked-down desk PC): the colour still tells.
  }
}
