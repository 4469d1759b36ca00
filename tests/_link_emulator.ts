/**
 * Test helper: a link emulator, a TCP relay in userspace that gives each
 * direction a one-way delay, a rate cap and a bounded bottleneck queue, all
 * changeable mid-test (this kernel has no netem, so `tc` cannot add delay).
 *
 * Each direction of each connection is a pipe:
 *
 * 1. **Queue.** Bytes read from the source wait in a FIFO of at most
 *    `queueBytes` (each read asks for no more than the room left, and reading
 *    stops while it is full, so the sender's TCP buffers fill, as behind a
 *    real bottleneck).
 * 2. **Link.** The FIFO is serialised at `kbps` in packets of at most 1500
 *    bytes: a packet leaves when its last bit would have crossed the link
 *    (`max(arrival, link free) + size / rate`), so a burst is dispersed and
 *    the only burst allowed is the packet being sent — a token bucket one
 *    packet deep. The schedule is computed on a virtual clock, so a late timer
 *    delays delivery a little but never lowers the rate.
 * 3. **Delay line.** Each packet is due at its departure + `delayMs` and is
 *    written to the destination then; many packets are in the line at once,
 *    so delay does not reduce throughput. Packets that are due together are
 *    written together.
 *
 * One timer per pipe (the next departure or delivery), no busy waiting.
 * Memory per pipe is bounded by `queueBytes` plus the delay line, which holds
 * at most 2 × rate × delay + 64 KiB when capped and {@linkcode UNCAPPED_WINDOW}
 * when uncapped (a TCP window's worth; this also bounds it when the
 * destination stops reading).
 *
 * @module
 */

/** One direction's shape. */
export interface PipeShape {
  /** Rate cap in kbit/s (1000 bit/s units); null = uncapped. 0 stops the link until changed. */
  kbps: number | null;
  /** One-way delay added to every byte, ms. */
  delayMs: number;
  /**
   * Bytes the bottleneck queue holds (at least 1); when full the emulator
   * stops reading from the sender (TCP backpressure).
   */
  queueBytes: number;
}

/** How to start a {@linkcode LinkEmulator}. */
export interface LinkEmulatorOptions {
  /** Where connections are forwarded to. */
  target: { hostname: string; port: number };
  /** The connecting side → target direction. */
  up: PipeShape;
  /** target → connecting side (default: the same as up; a copy, shaped separately). */
  down?: PipeShape;
}

/** Totals for one direction over all connections. */
export interface PipeCounters {
  /** Bytes delivered (written to the far side). */
  bytes: number;
  /**
   * The most bytes any one connection's bottleneck queue has held: at most
   * queueBytes (reads ask for no more than the room left), unless shape()
   * lowered queueBytes while the queue held more.
   */
  maxQueued: number;
}

/** The largest packet the link sends, bytes. */
const PACKET = 1500;
/** The largest read from a source and the largest write to a destination, bytes. */
const IO_SIZE = 64 * 1024;
/**
 * How many bytes an uncapped pipe keeps in its delay line at most (like a TCP
 * window: uncapped with delay D, throughput is at most this / D).
 */
export const UNCAPPED_WINDOW = 4 * 1024 * 1024;

/** A FIFO of items with O(1) push and shift. */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  shift(): T | undefined {
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

/** Bytes read from the source at `at` (ms, performance.now()). */
interface Segment {
  bytes: Uint8Array;
  at: number;
}

/** A packet in the delay line, to be written at `due`. */
interface Packet {
  bytes: Uint8Array;
  due: number;
}

function validate(shape: Partial<PipeShape>): void {
  const { kbps, delayMs, queueBytes } = shape;
  if (kbps !== undefined && kbps !== null && !(Number.isFinite(kbps) && kbps >= 0)) {
    throw new RangeError(`kbps must be null or a finite number ≥ 0, got ${kbps}`);
  }
  if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0)) {
    throw new RangeError(`delayMs must be a finite number ≥ 0, got ${delayMs}`);
  }
  if (queueBytes !== undefined && !(Number.isFinite(queueBytes) && queueBytes >= 1)) {
    throw new RangeError(`queueBytes must be a finite number ≥ 1, got ${queueBytes}`);
  }
}

/** One direction of one connection. */
class Pipe {
  readonly #from: Deno.TcpConn;
  readonly #to: Deno.TcpConn;
  readonly #shape: PipeShape;
  readonly #counters: PipeCounters;
  readonly #pair: Connection;

  readonly #fifo = new Fifo<Segment>();
  /** How far into the FIFO's head segment has left. */
  #offset = 0;
  #queued = 0;
  readonly #line = new Fifo<Packet>();
  #inLine = 0;
  /** When the last departed packet finished crossing the link (virtual clock, ms). */
  #linkFree = 0;
  /** Whether departures were held back because the delay line was full. */
  #stalled = false;

  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #wakeReader: (() => void) | undefined;
  #writing = false;
  #eof = false;
  #dead = false;
  #finished = false;
  /** Resolves `ended`'s writer half. */
  #writerEnded: () => void;
  /** Both loops have ended. */
  readonly ended: Promise<void>;

  constructor(
    from: Deno.TcpConn,
    to: Deno.TcpConn,
    shape: PipeShape,
    counters: PipeCounters,
    pair: Connection,
  ) {
    this.#from = from;
    this.#to = to;
    this.#shape = shape;
    this.#counters = counters;
    this.#pair = pair;
    let writerEnded!: () => void;
    const writer = new Promise<void>((resolve) => writerEnded = resolve);
    this.#writerEnded = writerEnded;
    this.ended = Promise.all([this.#read(), writer]).then(() => {});
  }

  /** Whether the pipe has delivered everything and passed on the source's end. */
  get finished(): boolean {
    return this.#finished;
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(IO_SIZE);
    try {
      while (!this.#dead) {
        const room = this.#shape.queueBytes - this.#queued;
        if (room < 1) {
          await new Promise<void>((resolve) => this.#wakeReader = resolve);
          continue;
        }
        const n = await this.#from.read(buffer.subarray(0, Math.min(IO_SIZE, Math.floor(room))));
        if (this.#dead) return;
        if (n === null) {
          this.#eof = true;
          this.#pump();
          return;
        }
        this.#fifo.push({ bytes: buffer.slice(0, n), at: performance.now() });
        this.#queued += n;
        this.#pump();
        if (this.#queued > this.#counters.maxQueued) this.#counters.maxQueued = this.#queued;
      }
    } catch {
      // The source is gone (reset, or closed by close()).
      this.#pair.abort();
    }
  }

  /** Sends the link's departures and deliveries that are due, then sets the timer for the next. */
  #pump(): void {
    if (this.#dead || this.#finished) return;
    const now = performance.now();
    const shape = this.#shape;
    const rate = shape.kbps === null ? Infinity : shape.kbps / 8; // bytes per ms
    const lineLimit = rate === Infinity ? UNCAPPED_WINDOW : 2 * rate * shape.delayMs + IO_SIZE;
    let nextDeparture = Infinity;
    while (this.#queued > 0) {
      if (this.#inLine >= lineLimit) {
        this.#stalled = true;
        break;
      }
      if (this.#stalled) {
        // The link could not send while the delay line was full: it restarts now.
        this.#stalled = false;
        this.#linkFree = Math.max(this.#linkFree, now);
      }
      const segment = this.#fifo.peek()!;
      const left = segment.bytes.length - this.#offset;
      const size = rate === Infinity ? left : Math.min(PACKET, left);
      const departure = Math.max(segment.at, this.#linkFree) + size / rate;
      if (departure > now) {
        nextDeparture = departure;
        break;
      }
      const bytes = segment.bytes.subarray(this.#offset, this.#offset + size);
      this.#offset += size;
      if (this.#offset === segment.bytes.length) {
        this.#fifo.shift();
        this.#offset = 0;
      }
      this.#queued -= size;
      this.#linkFree = departure;
      this.#line.push({ bytes, due: departure + shape.delayMs });
      this.#inLine += size;
    }
    if (this.#wakeReader && this.#queued < shape.queueBytes) {
      this.#wakeReader();
      this.#wakeReader = undefined;
    }
    let nextDelivery = Infinity;
    if (!this.#writing) {
      const head = this.#line.peek();
      if (head && head.due <= now) {
        this.#write();
      } else if (head) {
        nextDelivery = head.due;
      } else if (this.#eof && this.#queued === 0) {
        this.#finish();
        return;
      }
    }
    this.#schedule(Math.min(nextDeparture, nextDelivery), now);
  }

  #schedule(at: number, now: number): void {
    if (at === this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === Infinity) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#pump();
    }, Math.max(1, Math.ceil(at - now)));
  }

  /** Writes every packet that is due, in order, until none is. */
  async #write(): Promise<void> {
    this.#writing = true;
    try {
      for (;;) {
        const now = performance.now();
        const parts: Uint8Array[] = [];
        let size = 0;
        for (let head; (head = this.#line.peek()) && head.due <= now && size < IO_SIZE;) {
          parts.push(head.bytes);
          size += head.bytes.length;
          this.#line.shift();
        }
        if (parts.length === 0) break;
        let data = parts[0]!;
        if (parts.length > 1) {
          data = new Uint8Array(size);
          parts.reduce((off, p) => (data.set(p, off), off + p.length), 0);
        }
        for (let off = 0; off < data.length;) off += await this.#to.write(data.subarray(off));
        if (this.#dead) return;
        this.#inLine -= size;
        this.#counters.bytes += size;
        this.#pump(); // departures held back by a full delay line
      }
    } catch {
      // The destination is gone.
      this.#pair.abort();
      return;
    } finally {
      this.#writing = false;
      if (this.#dead) this.#writerEnded();
    }
    this.#pump();
  }

  /** Passes the source's end on once everything before it is delivered. */
  #finish(): void {
    this.#finished = true;
    this.#schedule(Infinity, 0);
    this.#to.closeWrite().catch(() => {}).finally(() => {
      this.#writerEnded();
      this.#pair.pipeFinished();
    });
  }

  /** Before a shape change: sends what is due under the old shape. */
  settle(): void {
    this.#pump();
  }

  /**
   * After a shape change: if the rate changed, the packet being sent restarts
   * now at the new rate (no credit is carried over, so no burst).
   */
  reshaped(rateChanged: boolean): void {
    if (this.#dead || this.#finished) return;
    if (rateChanged) this.#linkFree = Math.max(this.#linkFree, performance.now());
    this.#pump();
  }

  /** Drops everything and stops both loops (the sockets are closed by the connection). */
  kill(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#schedule(Infinity, 0);
    this.#fifo.clear();
    this.#line.clear();
    this.#queued = this.#inLine = 0;
    this.#wakeReader?.();
    this.#wakeReader = undefined;
    if (!this.#writing && !this.#finished) this.#writerEnded();
  }
}

/** One accepted connection and its connection to the target. */
class Connection {
  readonly #client: Deno.TcpConn;
  readonly #server: Deno.TcpConn;
  readonly #up: Pipe;
  readonly #down: Pipe;
  #closed = false;
  /** Both pipes' loops have ended and both sockets are closed. */
  readonly ended: Promise<void>;

  constructor(client: Deno.TcpConn, server: Deno.TcpConn, emulator: Shapes) {
    this.#client = client;
    this.#server = server;
    this.#up = new Pipe(client, server, emulator.shapes.up, emulator.counters.up, this);
    this.#down = new Pipe(server, client, emulator.shapes.down, emulator.counters.down, this);
    this.ended = Promise.all([this.#up.ended, this.#down.ended]).then(() => this.#close());
  }

  /** One direction's pipe. */
  pipe(direction: "up" | "down"): Pipe {
    return direction === "up" ? this.#up : this.#down;
  }

  /** Called when a pipe has passed on its source's end: once both have, the sockets close. */
  pipeFinished(): void {
    if (this.#up.finished && this.#down.finished) this.#close();
  }

  /** Closes both sockets at once, dropping what is queued. */
  abort(): void {
    this.#up.kill();
    this.#down.kill();
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const conn of [this.#client, this.#server]) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  }
}

/** What connections share with their emulator. */
interface Shapes {
  shapes: { up: PipeShape; down: PipeShape };
  counters: { up: PipeCounters; down: PipeCounters };
}

/**
 * A TCP relay on 127.0.0.1 that shapes each direction like a slow link: a
 * one-way delay, a rate cap and a bounded bottleneck queue (see the module
 * documentation for the model).
 *
 * @example
 * ```ts
 * await using link = LinkEmulator.start({
 *   target: { hostname: "127.0.0.1", port: 9000 },
 *   up: { kbps: 2000, delayMs: 40, queueBytes: 64 * 1024 },
 * });
 * // connect to link.address; later: link.shape("up", { kbps: 500 });
 * ```
 */
export class LinkEmulator implements AsyncDisposable {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** "127.0.0.1:PORT", to pass as --peer. */
  readonly address: string;
  /** Totals over all connections. */
  readonly counters: { up: PipeCounters; down: PipeCounters } = {
    up: { bytes: 0, maxQueued: 0 },
    down: { bytes: 0, maxQueued: 0 },
  };
  readonly #shapes: { up: PipeShape; down: PipeShape };
  readonly #target: { hostname: string; port: number };
  readonly #listener: Deno.TcpListener;
  readonly #connections = new Set<Connection>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  #closed = false;

  private constructor(listener: Deno.TcpListener, options: LinkEmulatorOptions) {
    this.#listener = listener;
    this.#target = { ...options.target };
    this.#shapes = { up: { ...options.up }, down: { ...(options.down ?? options.up) } };
    this.port = (listener.addr as Deno.NetAddr).port;
    this.address = `127.0.0.1:${this.port}`;
    this.#accepting = this.#accept();
  }

  /** Listens on 127.0.0.1 on a free port and forwards every accepted connection to target. */
  static start(options: LinkEmulatorOptions): LinkEmulator {
    validate(options.up);
    if (options.down) validate(options.down);
    return new LinkEmulator(Deno.listen({ hostname: "127.0.0.1", port: 0 }), options);
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        const task = this.#serve(client);
        this.#tasks.add(task);
        task.finally(() => this.#tasks.delete(task)).catch(() => {});
      }
    } catch {
      // The listener was closed.
    }
  }

  async #serve(client: Deno.TcpConn): Promise<void> {
    let server: Deno.TcpConn;
    try {
      server = await Deno.connect(this.#target);
    } catch {
      client.close();
      return;
    }
    if (this.#closed) {
      client.close();
      server.close();
      return;
    }
    client.setNoDelay(true);
    server.setNoDelay(true);
    const connection = new Connection(client, server, {
      shapes: this.#shapes,
      counters: this.counters,
    });
    this.#connections.add(connection);
    await connection.ended;
    this.#connections.delete(connection);
  }

  /** Changes a direction's shape at once, for connections already open too (e.g. a cap appearing/lifting mid-call). */
  shape(direction: "up" | "down" | "both", change: Partial<PipeShape>): void {
    validate(change);
    const defined = Object.fromEntries(
      Object.entries(change).filter(([, v]) => v !== undefined),
    ) as Partial<PipeShape>;
    for (const d of direction === "both" ? ["up", "down"] as const : [direction]) {
      // Every pipe of a direction reads the one shape object: each first sends
      // what was due under the old shape.
      const pipes = [...this.#connections].map((connection) => connection.pipe(d));
      for (const pipe of pipes) pipe.settle();
      Object.assign(this.#shapes[d], defined);
      for (const pipe of pipes) pipe.reshaped(defined.kbps !== undefined);
    }
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#listener.close();
      for (const connection of this.#connections) connection.abort();
    }
    await this.#accepting;
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
  }

  /** Same as {@linkcode LinkEmulator.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
