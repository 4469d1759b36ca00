// A worker for tests/atomic_channel_test.ts: op 1 adds int(0) and int(1)
// into int(2); op 2 writes int(0) bytes of value int(1) into the buffer at
// float(0); op 3 throws a RangeError, op 4 a ShimError, op 6 a string, op 7
// a CallError with no message, op 8 an error with a 5000-byte message; op 5
// takes int(0) ms; anything else sets int(2) to 99 and ends serving. Sent
// null instead of the channel's memory, it dies.
import { ShimError } from "../../ffi/error.ts";
import { type ChannelMemory, serveAtomic, viewAt } from "../../src/atomic_channel.ts";
import { CallError } from "../../src/errors.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ChannelMemory>) => void) | null;
  close(): void;
};
scope.onmessage = (event) => {
  serveAtomic(event.data, (op, ints, floats) => {
    if (op === 1) ints[2] = ints[0]! + ints[1]!;
    else if (op === 2) viewAt(floats[0]!, ints[0]!).fill(ints[1]!);
    else if (op === 3) throw new RangeError("deliberate failure");
    else if (op === 4) throw new ShimError("Cannot decode frame: not a JPEG");
    else if (op === 5) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ints[0]!);
    else if (op === 6) throw "a string";
    else if (op === 7) throw new CallError("");
    else if (op === 8) throw new Error("é".repeat(2500));
    else {
      ints[2] = 99;
      return false;
    }
    return true;
  });
  scope.close();
};
