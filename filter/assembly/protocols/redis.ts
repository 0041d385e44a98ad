// Redis, RESP2 and RESP3 (the Redis serialization protocol specification): the client sends
// commands as arrays of bulk strings (`*N` `$L` ...) or inline lines, several in one packet
// (pipelining) and inside MULTI/EXEC; the server answers each command with one reply, in
// order, besides RESP3 push frames (`>`) and attributes (`|`), which answer nothing.
// Each command is judged whole (held until complete, up to tcp.maxStatementBytes; a longer
// one is judged on the name and the arguments that arrived, and its rest streamed or dropped).
// A denied command is replaced by the probe `MESHWARD_DENIED`; the server answers it with an
// error (inside MULTI it also makes EXEC fail with EXECABORT, as a real refusal would), and
// that reply is rewritten into `-ERR meshward: ...`. Replies are counted to find it: a
// connection in subscribe mode, MONITOR or CLIENT REPLY OFF|SKIP cannot be counted, so a
// denial there closes the connection instead.
import { ByteBuffer } from "../bytes";
import { MAX_ARGS, RedisCommand, RedisCommandInfo, Session } from "../tcp/session";
import { TcpMetric, countTcp } from "../tcp/tcp-metrics";
import { Conversation, Denials, containsProbe } from "./conversation";

const PROBE_COMMAND = "*1\r\n$15\r\nMESHWARD_DENIED\r\n";
const MAX_LINE: usize = 65536;
const MAX_DEPTH = 32;

const command = new RedisCommand();
const out = new ByteBuffer(256);

export class RedisConversation extends Conversation {
  /** Commands sent to the server (substitutes included); replies received. */
  private sent: u64 = 0;
  private replies: u64 = 0;
  private untracked: bool = false;
  private readonly denials: Denials = new Denials();
  // the rest of a command too long to hold: elements not started, bytes of the current one
  private cElems: i64 = 0;
  private cBulk: usize = 0;
  private cDrop: bool = false;
  // server reply parsing
  private readonly stack: StaticArray<i64> = new StaticArray<i64>(MAX_DEPTH);
  private sp: i32 = 0;
  private topCounts: bool = true;
  private sBulk: usize = 0;

  constructor(session: Session) {
    super(session);
  }

  client(p: usize, size: usize, from: usize): usize {
    this.hold = false;
    const s = this.session;
    let i = from;
    while (i < size) {
      if (this.opaque || s.closed) return size;
      // The rest of a long command.
      if (this.cBulk > 0) {
        const n = this.cBulk < size - i ? this.cBulk : size - i;
        if (this.cDrop && !s.down.add(i, n, null)) return this.fail();
        i += n;
        this.cBulk -= n;
        continue;
      }
      if (this.cElems > 0) {
        const eol = findCrlf(p, i, size);
        if (eol < 0) {
          if (size - i > 64) return this.violation();
          return this.stop(i);
        }
        const n = parseInt(p, i + 1, <usize>eol);
        if (load<u8>(p + i) != 0x24 || n < -1) return this.violation();
        const head = <usize>eol + 2 - i;
        if (this.cDrop && !s.down.add(i, head, null)) return this.fail();
        i += head;
        this.cElems--;
        if (n >= 0) this.cBulk = <usize>n + 2;
        continue;
      }
      const end = this.scan(p, i, size);
      if (end == -2) return this.violation();
      const complete = end >= 0;
      const avail = size - i;
      if (!complete && avail < s.maxStatementBytes) return this.stop(i);
      const stop: usize = complete ? <usize>end : size;
      if (command.totalArgs < 0) { // an empty command: nothing is sent to the server
        i = stop;
        continue;
      }
      command.textPtr = p + i;
      command.textLen = stop - i;
      command.truncated = !complete;
      const info = lookup(command.name);
      this.track();
      const ok = s.judgeRedis(command, info);
      if (!ok) {
        if (this.untracked) return this.fail();
        if (!s.down.add(i, stop - i, String.UTF8.encode(PROBE_COMMAND))) return this.fail();
        if (!this.denials.push(this.sent, this.errorReply())) {
          countTcp(TcpMetric.DenialsOverflow);
          return this.fail();
        }
      }
      this.sent++;
      if (!complete) {
        this.cDrop = !ok;
        this.cElems = this.pendingElems;
        this.cBulk = this.pendingBulk;
      }
      i = stop;
    }
    return size;
  }

  server(p: usize, size: usize, from: usize): usize {
    this.hold = false;
    const s = this.session;
    let i = from;
    while (i < size) {
      if (this.serverLost || this.opaque || s.closed) return size;
      if (this.sBulk > 0) {
        const n = this.sBulk < size - i ? this.sBulk : size - i;
        i += n;
        this.sBulk -= n;
        if (this.sBulk == 0) this.elementDone();
        continue;
      }
      const type = load<u8>(p + i);
      const eol = findCrlf(p, i, size);
      if (eol < 0) {
        if (size - i >= MAX_LINE) return this.lost(size);
        return this.stop(i);
      }
      const lineEnd = <usize>eol + 2;
      if (this.sp == 0 && type == 0x2d && this.denials.size > 0 && this.denials.firstTag == this.replies) {
        // the answer to a probe: rewrite it
        if (containsProbe(p + i, <usize>eol - i)) {
          if (!s.up.add(i, lineEnd - i, this.denials.pop())) return this.fail();
        }
        this.topCounts = true;
        this.elementDone();
        i = lineEnd;
        continue;
      }
      if (type == 0x2b || type == 0x2d || type == 0x3a || type == 0x5f || type == 0x2c || type == 0x23 || type == 0x28) {
        if (this.sp == 0) this.topCounts = true;
        i = lineEnd;
        this.elementDone();
        continue;
      }
      const n = parseInt(p, i + 1, <usize>eol);
      if (n < -1) return this.lost(size);
      if (type == 0x24 || type == 0x21 || type == 0x3d) { // $ ! = : bulk
        if (this.sp == 0) this.topCounts = true;
        i = lineEnd;
        if (n < 0) this.elementDone();
        else this.sBulk = <usize>n + 2;
        continue;
      }
      if (type == 0x2a || type == 0x7e || type == 0x3e || type == 0x25 || type == 0x7c) { // * ~ > % |
        if (this.sp == 0) this.topCounts = type != 0x3e && type != 0x7c;
        i = lineEnd;
        const count = type == 0x25 || type == 0x7c ? n * 2 : n;
        if (count <= 0) {
          this.elementDone();
          continue;
        }
        if (this.sp >= MAX_DEPTH) return this.lost(size);
        unchecked(this.stack[this.sp] = count);
        this.sp++;
        continue;
      }
      return this.lost(size);
    }
    return size;
  }

  /** One element (a whole reply at the top) is complete. */
  private elementDone(): void {
    while (this.sp > 0) {
      const top = this.sp - 1;
      const left = unchecked(this.stack[top]) - 1;
      unchecked(this.stack[top] = left);
      if (left > 0) return;
      this.sp--;
    }
    if (this.topCounts) this.replies++;
  }

  /** Replies can no longer be matched to commands: later denials close the connection. */
  private lost(size: usize): usize {
    if (!this.untracked) countTcp(TcpMetric.Untracked);
    this.untracked = true;
    this.serverLost = true;
    if (this.denials.size > 0) return this.fail();
    return size;
  }

  private serverLost: bool = false;

  private pendingElems: i64 = 0;
  private pendingBulk: usize = 0;

  /** Parse one command at i into `command`: its end, -1 when incomplete, -2 when malformed. An
   * empty command sets totalArgs to -1. Incomplete: what remains is in pendingElems/Bulk. */
  private scan(p: usize, i: usize, size: usize): isize {
    const c = command;
    c.reset();
    this.pendingElems = 0;
    this.pendingBulk = 0;
    if (load<u8>(p + i) != 0x2a) return this.inline(p, i, size);
    let eol = findCrlf(p, i, size);
    if (eol < 0) return size - i > 32 ? -2 : -1;
    const n = parseInt(p, i + 1, <usize>eol);
    if (n < -1 || n > 1048576) return -2;
    let j = <usize>eol + 2;
    if (n <= 0) {
      c.totalArgs = -1;
      return <isize>j;
    }
    c.totalArgs = <i32>n - 1;
    for (let k: i64 = 0; k < n; k++) {
      eol = findCrlf(p, j, size);
      if (eol < 0) {
        if (size - j > 32) return -2;
        this.pendingElems = n - k;
        return -1;
      }
      if (load<u8>(p + j) != 0x24) return -2;
      const l = parseInt(p, j + 1, <usize>eol);
      if (l < 0 || l > 536870912) return -2;
      const data = <usize>eol + 2;
      const len = <usize>l;
      const avail = size > data ? size - data : 0;
      const have = avail < len ? avail : len;
      if (k == 0) {
        for (let b: usize = 0; b < have && b < 64; b++) {
          let ch = load<u8>(p + data + b);
          if (ch >= 0x41 && ch <= 0x5a) ch |= 0x20;
          c.name.byte(ch);
        }
      } else if (c.args < MAX_ARGS) {
        unchecked(c.argPtr[c.args] = p + data);
        unchecked(c.argLen[c.args] = have);
        c.args++;
      }
      if (avail < len + 2) {
        this.pendingElems = n - k - 1;
        this.pendingBulk = len + 2 - avail;
        return -1;
      }
      j = data + len + 2;
    }
    return <isize>j;
  }

  /** An inline command: a line of words separated by spaces. */
  private inline(p: usize, i: usize, size: usize): isize {
    const c = command;
    let nl = i;
    while (nl < size && load<u8>(p + nl) != 0x0a) nl++;
    if (nl >= size) return size - i > 65536 ? -2 : -1;
    let end = nl;
    if (end > i && load<u8>(p + end - 1) == 0x0d) end--;
    let j = i;
    let word = -1;
    while (j < end) {
      while (j < end && (load<u8>(p + j) == 0x20 || load<u8>(p + j) == 0x09)) j++;
      if (j >= end) break;
      const ws = j;
      while (j < end && load<u8>(p + j) != 0x20 && load<u8>(p + j) != 0x09) j++;
      word++;
      if (word == 0) {
        for (let b = ws; b < j && b - ws < 64; b++) {
          let ch = load<u8>(p + b);
          if (ch >= 0x41 && ch <= 0x5a) ch |= 0x20;
          c.name.byte(ch);
        }
      } else if (c.args < MAX_ARGS) {
        unchecked(c.argPtr[c.args] = p + ws);
        unchecked(c.argLen[c.args] = j - ws);
        c.args++;
      }
    }
    c.totalArgs = word < 0 ? -1 : word;
    return <isize>(nl + 1);
  }

  /** Commands after which replies no longer answer commands one to one. */
  private track(): void {
    const n = command.name;
    if (nameIs(n, "subscribe") || nameIs(n, "psubscribe") || nameIs(n, "ssubscribe") || nameIs(n, "monitor") ||
        (nameIs(n, "client") && command.argIs(0, "reply") && !command.argIs(1, "on"))) {
      if (!this.untracked) countTcp(TcpMetric.Untracked);
      this.untracked = true;
    }
  }

  private errorReply(): ArrayBuffer {
    const s = this.session;
    const o = out;
    o.reset();
    o.ascii("-ERR meshward: ");
    const d = s.denial;
    for (let k: usize = 0; k < d.len; k++) {
      const ch = load<u8>(d.ptr + k);
      o.byte(ch == 0x0d || ch == 0x0a ? 0x20 : ch);
    }
    o.ascii(" by policy (event ");
    const id = s.lastEventId;
    o.bytes(id.ptr, id.len);
    o.ascii(")\r\n");
    return o.toArrayBuffer();
  }



}

/** Offset of the "\r\n" ending the line at i, or -1. */
function findCrlf(p: usize, i: usize, size: usize): isize {
  for (let j = i; j + 1 < size; j++) {
    if (load<u8>(p + j) == 0x0d && load<u8>(p + j + 1) == 0x0a) return <isize>j;
  }
  return -1;
}

/** A decimal integer in [a, b), possibly negative; -2 when malformed. */
function parseInt(p: usize, a: usize, b: usize): i64 {
  if (a >= b || b - a > 18) return -2;
  let neg = false;
  let i = a;
  if (load<u8>(p + i) == 0x2d) {
    neg = true;
    i++;
    if (i >= b) return -2;
  }
  let v: i64 = 0;
  for (; i < b; i++) {
    const c = load<u8>(p + i);
    if (c < 0x30 || c > 0x39) return -2;
    v = v * 10 + <i64>(c - 0x30);
  }
  return neg ? (v == 1 ? -1 : -2) : v;
}

function nameIs(b: ByteBuffer, lit: string): bool {
  if (b.len != <usize>lit.length) return false;
  for (let i: usize = 0; i < b.len; i++) {
    if (<u32>load<u8>(b.ptr + i) != <u32>lit.charCodeAt(<i32>i)) return false;
  }
  return true;
}

// ---- command table: categories and key positions (Redis' COMMAND INFO, the common part) ----
// flags: r read, w write, a admin, d dangerous, p pubsub, c connection, s scripting, t transaction
// keys: first last step (1-based argument positions counting the name as 0; last -1: to the end)

const TABLE: StaticArray<string> = [
  "get r 1 1 1", "set w 1 1 1", "setnx w 1 1 1", "setex w 1 1 1", "psetex w 1 1 1", "getset w 1 1 1",
  "getdel w 1 1 1", "getex w 1 1 1", "append w 1 1 1", "strlen r 1 1 1", "getrange r 1 1 1", "setrange w 1 1 1",
  "incr w 1 1 1", "decr w 1 1 1", "incrby w 1 1 1", "decrby w 1 1 1", "incrbyfloat w 1 1 1",
  "mget r 1 -1 1", "mset w 1 -1 2", "msetnx w 1 -1 2", "del w 1 -1 1", "unlink w 1 -1 1", "exists r 1 -1 1",
  "touch r 1 -1 1", "expire w 1 1 1", "pexpire w 1 1 1", "expireat w 1 1 1", "pexpireat w 1 1 1",
  "persist w 1 1 1", "ttl r 1 1 1", "pttl r 1 1 1", "type r 1 1 1", "rename w 1 2 1", "renamenx w 1 2 1",
  "copy w 1 2 1", "dump r 1 1 1", "restore wd 1 1 1", "object r 2 2 1", "keys rd 0 0 0", "scan r 0 0 0",
  "randomkey r 0 0 0", "dbsize r 0 0 0",
  "hget r 1 1 1", "hset w 1 1 1", "hsetnx w 1 1 1", "hmset w 1 1 1", "hmget r 1 1 1", "hdel w 1 1 1",
  "hgetall r 1 1 1", "hkeys r 1 1 1", "hvals r 1 1 1", "hlen r 1 1 1", "hexists r 1 1 1", "hincrby w 1 1 1",
  "hincrbyfloat w 1 1 1", "hscan r 1 1 1", "hstrlen r 1 1 1", "hrandfield r 1 1 1",
  "lpush w 1 1 1", "rpush w 1 1 1", "lpushx w 1 1 1", "rpushx w 1 1 1", "lpop w 1 1 1", "rpop w 1 1 1",
  "llen r 1 1 1", "lrange r 1 1 1", "lindex r 1 1 1", "lset w 1 1 1", "lrem w 1 1 1", "ltrim w 1 1 1",
  "linsert w 1 1 1", "lpos r 1 1 1", "lmove w 1 2 1", "rpoplpush w 1 2 1", "blpop w 1 -2 1", "brpop w 1 -2 1",
  "sadd w 1 1 1", "srem w 1 1 1", "smembers r 1 1 1", "sismember r 1 1 1", "smismember r 1 1 1", "scard r 1 1 1",
  "spop w 1 1 1", "srandmember r 1 1 1", "sinter r 1 -1 1", "sunion r 1 -1 1", "sdiff r 1 -1 1",
  "sinterstore w 1 -1 1", "sunionstore w 1 -1 1", "sdiffstore w 1 -1 1", "smove w 1 2 1", "sscan r 1 1 1",
  "zadd w 1 1 1", "zrem w 1 1 1", "zscore r 1 1 1", "zincrby w 1 1 1", "zcard r 1 1 1", "zcount r 1 1 1",
  "zrange r 1 1 1", "zrangebyscore r 1 1 1", "zrevrange r 1 1 1", "zrevrangebyscore r 1 1 1", "zrank r 1 1 1",
  "zrevrank r 1 1 1", "zremrangebyscore w 1 1 1", "zremrangebyrank w 1 1 1", "zpopmin w 1 1 1", "zpopmax w 1 1 1",
  "zscan r 1 1 1", "zmscore r 1 1 1",
  "xadd w 1 1 1", "xlen r 1 1 1", "xrange r 1 1 1", "xrevrange r 1 1 1", "xdel w 1 1 1", "xtrim w 1 1 1",
  "pfadd w 1 1 1", "pfcount r 1 -1 1", "pfmerge w 1 -1 1", "setbit w 1 1 1", "getbit r 1 1 1", "bitcount r 1 1 1",
  "geoadd w 1 1 1", "geodist r 1 1 1", "geopos r 1 1 1", "geosearch r 1 1 1",
  "watch t 1 -1 1", "unwatch t 0 0 0", "multi t 0 0 0", "exec t 0 0 0", "discard t 0 0 0",
  "eval s 0 0 0", "evalsha s 0 0 0", "eval_ro s 0 0 0", "evalsha_ro s 0 0 0", "script sd 0 0 0",
  "fcall s 0 0 0", "fcall_ro s 0 0 0", "function sd 0 0 0",
  "publish p 0 0 0", "spublish p 0 0 0", "subscribe p 0 0 0", "unsubscribe p 0 0 0", "psubscribe p 0 0 0",
  "punsubscribe p 0 0 0", "ssubscribe p 0 0 0", "sunsubscribe p 0 0 0", "pubsub p 0 0 0",
  "ping c 0 0 0", "echo c 0 0 0", "auth c 0 0 0", "hello c 0 0 0", "select c 0 0 0", "quit c 0 0 0",
  "reset c 0 0 0", "client ca 0 0 0", "command c 0 0 0",
  "config ad 0 0 0", "flushall wd 0 0 0", "flushdb wd 0 0 0", "save ad 0 0 0", "bgsave ad 0 0 0",
  "bgrewriteaof ad 0 0 0", "shutdown ad 0 0 0", "slaveof ad 0 0 0", "replicaof ad 0 0 0", "module ad 0 0 0",
  "debug ad 0 0 0", "monitor ad 0 0 0", "sync ad 0 0 0", "psync ad 0 0 0", "acl ad 0 0 0", "info d 0 0 0",
  "slowlog ad 0 0 0", "lastsave d 0 0 0", "cluster ad 0 0 0", "failover ad 0 0 0", "migrate wd 3 3 1",
  "swapdb wd 0 0 0", "latency ad 0 0 0", "memory r 0 0 0", "time r 0 0 0", "role d 0 0 0", "wait c 0 0 0",
];

class Entry {
  constructor(readonly name: ArrayBuffer, readonly info: RedisCommandInfo) {}
}

const entries = buildTable();

function buildTable(): Array<Entry> {
  const outList = new Array<Entry>();
  for (let i = 0; i < TABLE.length; i++) {
    const parts = unchecked(TABLE[i]).split(" ");
    let cats: u32 = 0;
    const f = parts[1];
    for (let j = 0; j < f.length; j++) {
      const ch = f.charAt(j);
      if (ch == "r") cats |= 1;
      else if (ch == "w") cats |= 2;
      else if (ch == "a") cats |= 4;
      else if (ch == "d") cats |= 8;
      else if (ch == "p") cats |= 16;
      else if (ch == "c") cats |= 32;
      else if (ch == "s") cats |= 64;
      else if (ch == "t") cats |= 128;
    }
    const first = I32.parseInt(parts[2]);
    let last = I32.parseInt(parts[3]);
    if (last == -2) last = -1; // blocking pops: the timeout is not a key (approximated: all)
    outList.push(new Entry(String.UTF8.encode(parts[0]), new RedisCommandInfo(cats, first, last, I32.parseInt(parts[4]))));
  }
  return outList;
}

/** The command's categories and key positions, or null for a command not in the table. */
function lookup(name: ByteBuffer): RedisCommandInfo | null {
  for (let i = 0; i < entries.length; i++) {
    const e = unchecked(entries[i]);
    const n = e.name;
    if (<usize>n.byteLength == name.len && memory.compare(changetype<usize>(n), name.ptr, name.len) == 0) return e.info;
  }
  return null;
}
