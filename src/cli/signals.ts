// Every way a job is told to stop (Ctrl-C, kill, a closed terminal, quit) is
// handled alike: the first signal asks for an orderly stop, a second one
// stops at once. Returns the function that removes the handlers.
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

export function onTerminatingSignals(first: (signal: NodeJS.Signals) => void, second: (signal: NodeJS.Signals) => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) first(signal);
    else {
      second(signal);
      process.exit(128 + signalNumber(signal));
    }
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return () => {
    for (const s of STOP_SIGNALS) process.off(s, handler);
  };
}

const NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };

export function signalNumber(signal: NodeJS.Signals): number {
  return NUMBERS[signal] ?? 15;
}
