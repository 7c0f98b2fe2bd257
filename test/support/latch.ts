/** A promise the test resolves by hand: one step of a scenario waits on `reached` until another calls `release()`. */
export interface Latch {
  reached: Promise<void>;
  release: () => void;
}

export function latch(): Latch {
  let release!: () => void;
  const reached = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { reached, release };
}
