// The proc connector hands each reader round up as one Buffer of records (native/src/
// proc-connector.cc): a 32-byte head, then the exe, the arguments and the cgroup text. Decoded
// here into RawProcEvents, one call per round instead of an object built in C++ per event.
import type { RawProcEvent } from './native.js';

const HEAD = 32;
const FLAG = { enriched: 1, argsTruncated: 2, exeFromExecEvent: 4, gone: 8 } as const;
const TYPE = { fork: 1, exec: 2, exit: 3, uid: 4, overrun: 5 } as const;

/** Calls `fn` with each record of a round, in the kernel's order. Throws on a truncated record
 * (an addon/agent mismatch), after the records before it. */
export function forEachProcRecord(buf: Buffer, fn: (ev: RawProcEvent) => void): void {
  let o = 0;
  while (o < buf.length) {
    if (o + HEAD > buf.length) throw new Error(`proc connector record truncated at ${o} of ${buf.length} bytes`);
    const type = buf[o] as RawProcEvent['type'];
    const flags = buf[o + 1];
    const exeLen = buf.readUInt16LE(o + 2);
    const cgroupLen = buf.readUInt16LE(o + 20);
    const argsLen = buf.readUInt16LE(o + 22);
    const end = o + HEAD + exeLen + argsLen + cgroupLen;
    if (end > buf.length || type < TYPE.fork || type > TYPE.overrun) throw new Error(`proc connector record malformed at ${o} of ${buf.length} bytes`);
    const parent = buf.readInt32LE(o + 8);
    const a = buf.readUInt32LE(o + 12);
    const euid = buf.readInt32LE(o + 16);
    let p = o + HEAD;
    const ev: RawProcEvent = {
      type,
      pid: buf.readInt32LE(o + 4),
      ts: buf.readDoubleLE(o + 24),
      ppid: parent > 0 ? parent : undefined,
      exitCode: type === TYPE.exit ? a : undefined,
      ruid: type === TYPE.uid ? a : undefined,
      euid: euid >= 0 ? euid : undefined,
      enriched: type === TYPE.exec ? (flags & FLAG.enriched) !== 0 : undefined,
      exe: exeLen > 0 ? buf.toString('utf8', p, (p += exeLen)) : undefined,
      args: argsLen > 0 ? buf.toString('utf8', p, (p += argsLen)) : undefined,
      argsTruncated: (flags & FLAG.argsTruncated) !== 0 || undefined,
      cgroup: cgroupLen > 0 ? buf.toString('latin1', p, p + cgroupLen) : undefined,
      exeFromExecEvent: (flags & FLAG.exeFromExecEvent) !== 0 || undefined,
      gone: (flags & FLAG.gone) !== 0 || undefined,
    };
    o = end;
    fn(ev);
  }
}
