// A worker for tests/atomic_channel_test.ts: op 1 adds int(0) and int(1)
// into int(2); op 2 writes int(0) bytes of value int(1) into the buffer at
// float(0); op 3 throws; op 5 takes 50 ms; anything else ends serving. Sent null instead of
// the channel's memory, it dies.
import { type ChannelMemory, serveAtomic, viewAt } from "../../src/atomic_channel.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ChannelMemory>) => void) | null;
  close(): void;
};
scope.onmessage = (event) => {
  serveAtomic(event.data, (op, ints, floats) => {
    if (op === 1) ints[2] = ints[0]! + ints[1]!;
    else if (op === 2) viewAt(floats[0]!, ints[0]!).fill(ints[1]!);
    else if (op === 3) throw new Error("deliberate failure");
    else if (op === 5) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    else return false;
    return true;
  });
  scope.close();
};
