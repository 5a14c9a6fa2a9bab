// `make up` shows the detached supervisor's log as it starts: this copies what a file gained since
// `offset` to stdout. Synchronous reads of whatever is there, polled by the caller — the file is
// the supervisor's stdout, appended to by another process, so there is no stream to pipe.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';

/** Prints what `path` holds from `offset` on; returns the new offset. */
export function followLog(path: string, offset: number, out: NodeJS.WritableStream = process.stdout): number {
  if (!existsSync(path)) return offset;
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    let pos = offset;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, pos);
      if (n <= 0) break;
      out.write(buffer.subarray(0, n));
      pos += n;
    }
    return pos;
  } finally {
    closeSync(fd);
  }
}
