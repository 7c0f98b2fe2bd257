import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * This process's live memory (a test stack's API and activities run in it), after collecting garbage twice:
 * the second also frees the Buffers the first found dead. For tests that a stream holds only a bounded part.
 */
export function liveMemory(): number {
  gc();
  gc();
  const memory = process.memoryUsage();
  return memory.heapUsed + memory.arrayBuffers;
}
