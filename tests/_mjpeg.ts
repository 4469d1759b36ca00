/**
 * Test helper: reads an MJPEG `multipart/x-mixed-replace` stream part by
 * part, as a browser or VLC does, and checks each part's framing.
 *
 * @module
 */

/** One part of an MJPEG stream. */
export interface MjpegPart {
  /** The part's headers, names in lower case. */
  headers: Map<string, string>;
  /** The JPEG. */
  jpeg: Uint8Array;
}

const CRLF2 = [13, 10, 13, 10];

/** Reads the parts of an MJPEG stream body. */
export class MjpegReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buffer = new Uint8Array(0);

  /** @param body The response body (or any byte stream that starts at a boundary). */
  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /**
   * Reads the next part.
   *
   * @returns The part; throws when the stream ends or a part is malformed.
   */
  async next(): Promise<MjpegPart> {
    let end: number;
    while ((end = indexOf(this.#buffer, CRLF2)) < 0) await this.#fill();
    const head = new TextDecoder().decode(this.#buffer.subarray(0, end));
    const lines = head.replace(/^\r\n/, "").split("\r\n");
    if (!lines[0]?.startsWith("--")) throw new Error(`Not a boundary: ${lines[0]}`);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = Number(headers.get("content-length"));
    if (!Number.isInteger(length)) throw new Error(`No Content-Length in: ${head}`);
    const start = end + 4;
    while (this.#buffer.length < start + length + 2) await this.#fill();
    const jpeg = this.#buffer.slice(start, start + length);
    if (this.#buffer[start + length] !== 13 || this.#buffer[start + length + 1] !== 10) {
      throw new Error("A part does not end with CRLF");
    }
    this.#buffer = this.#buffer.slice(start + length + 2);
    return { headers, jpeg };
  }

  /** Stops reading (closes the connection). */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }

  async #fill(): Promise<void> {
    const { value, done } = await this.#reader.read();
    if (done) throw new Error("The stream ended");
    const joined = new Uint8Array(this.#buffer.length + value.length);
    joined.set(this.#buffer);
    joined.set(value, this.#buffer.length);
    this.#buffer = joined;
  }
}

/** Whether `bytes` looks like a whole JPEG (starts with SOI, ends with EOI). */
export function isJpeg(bytes: Uint8Array): boolean {
  const n = bytes.length;
  return n > 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[n - 2] === 0xff &&
    bytes[n - 1] === 0xd9;
}

/** The resident memory of process `pid`, in MB (Linux). */
export async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`No VmRSS for process ${pid}`);
  return Number(kb) / 1024;
}

function indexOf(haystack: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
