// A live run's history, filled from its events as they arrive (playground.run gathers its own; the page its window.playground.history).
import type { PlaygroundEvent, PlaygroundHistory } from './types.js';

/** A PlaygroundHistory being filled: start and done arrive with their events. */
export type LiveHistory = Partial<Pick<PlaygroundHistory, 'start' | 'done'>> & Omit<PlaygroundHistory, 'start' | 'done'>;

export function emptyHistory(): LiveHistory {
  return { losses: [], measures: [], prunes: [], epochs: [] };
}

/** Adds one event to the history. */
export function recordEvent(history: LiveHistory, event: PlaygroundEvent): void {
  switch (event.type) {
    case 'start':
      history.start = event;
      break;
    case 'losses':
      // Steps count from 1: losses[i] is step i + 1's.
      for (let i = 0; i < event.losses.length; i++) history.losses[event.firstStep - 1 + i] = event.losses[i];
      break;
    case 'measure':
      history.measures.push(event);
      break;
    case 'prune':
      history.prunes.push(event);
      break;
    case 'epoch':
      history.epochs.push(event);
      break;
    case 'done':
      history.done = event;
      break;
  }
}
