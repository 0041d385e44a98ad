// The WASI functions proxy-wasm-cpp-host registers, under both "wasi_snapshot_preview1" and
// "wasi_unstable", with cpp-host's signatures and results (exports.cc):
// - fd_write / fd_pwrite to fd 1 log at info, to fd 2 at error (one trailing newline dropped);
//   other fds are BADF;
// - clock_time_get serves realtime and monotonic, other clocks NOTSUP; clock_res_get is 1 ns;
// - random_get refuses more than 64 KiB (INVAL);
// - environ_* expose the VM's configured environment variables; args_* are empty;
// - proc_exit only logs (at trace) and returns: cpp-host does not stop the module;
// - the file, path and socket functions are stubs answering what cpp-host answers.
// Note that cpp-host declares path_link with 6 parameters and path_symlink with 4 (the WASI
// spec has 7 and 5); a module importing the spec's signatures fails to link in Envoy, and here.

import { randomFillSync } from 'node:crypto';
import { sig } from './module-inspect.js';
import { LogLevelNumber, WasiErrno } from './status.js';
import type { HostFunctionDef } from './host-functions.js';
import type { WasmVm } from './vm.js';

const u = (x: number) => x >>> 0;
const RANDOM_MAX = 64 * 1024;
const isStdio = (fd: number) => fd === 1 || fd === 2;

/** cpp-host writevImpl: gathers the iovecs and logs them. Returns [errno, bytes written]. */
function writev(vm: WasmVm, fd: number, iovs: number, count: number): [number, number] {
  let level: number;
  if (fd === 1) level = LogLevelNumber.Info;
  else if (fd === 2) level = LogLevelNumber.Error;
  else return [WasiErrno.Badf, 0];
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const base = u(iovs) + i * 8;
    const buf = vm.memory.getU32(base);
    const len = vm.memory.getU32(base + 4);
    if (buf === null || len === null) return [WasiErrno.Fault, 0];
    if (len !== 0) {
      const bytes = vm.memory.view(buf, len);
      if (!bytes) return [WasiErrno.Fault, 0];
      parts.push(bytes.slice());
      total += len;
    }
  }
  if (total !== 0) {
    let s = Buffer.concat(parts).toString('utf8');
    if (s.endsWith('\n')) s = s.slice(0, -1);
    vm.guestLog(vm.activeContext(), level, s);
  }
  return [WasiErrno.Success, total];
}

function wasi(name: string, signature: string, make: HostFunctionDef['make']): HostFunctionDef {
  return { module: 'wasi_snapshot_preview1', name, type: sig(signature), make };
}

const FUNCTIONS: HostFunctionDef[] = [
  wasi('fd_write', 'iiii:i', (vm) => (fd: number, iovs: number, count: number, nwrittenPtr: number) => {
    const [errno, n] = writev(vm, fd, iovs, u(count));
    if (errno !== WasiErrno.Success) return errno;
    return vm.memory.setU32(u(nwrittenPtr), n) ? WasiErrno.Success : WasiErrno.Fault;
  }),
  wasi('fd_read', 'iiii:i', () => () => WasiErrno.Nosys),
  wasi('fd_seek', 'iIii:i', (vm) => () => {
    vm.hostLog('trace', 'wasi_unstable fd_seek');
    return 0;
  }),
  wasi('fd_close', 'i:i', (vm) => () => {
    vm.hostLog('trace', 'wasi_unstable fd_close');
    return 0;
  }),
  wasi('fd_fdstat_get', 'ii:i', (vm) => (fd: number, statPtr: number) => {
    if (!isStdio(fd)) return WasiErrno.Badf;
    // 24 bytes: filetype/flags zeroed, rights_base = FD_WRITE (64), rights_inheriting = 0.
    vm.memory.setU64(u(statPtr), 0n);
    vm.memory.setU64(u(statPtr) + 8, 64n);
    vm.memory.setU64(u(statPtr) + 16, 0n);
    return WasiErrno.Success;
  }),
  wasi('fd_fdstat_set_flags', 'ii:i', () => () => WasiErrno.Nosys),
  wasi('fd_fdstat_set_rights', 'iII:i', () => (fd: number) => (isStdio(fd) ? 0 : WasiErrno.Badf)),
  wasi('environ_get', 'ii:i', (vm) => (arrayPtr: number, bufPtr: number) => {
    let a = u(arrayPtr);
    let b = u(bufPtr);
    for (const [k, v] of vm.environment) {
      if (!vm.memory.setU32(a, b)) return WasiErrno.Fault;
      const data = Buffer.from(`${k}=${v}\0`, 'utf8');
      if (!vm.memory.writeBytes(b, data)) return WasiErrno.Fault;
      b += data.byteLength;
      a += 4;
    }
    return WasiErrno.Success;
  }),
  wasi('environ_sizes_get', 'ii:i', (vm) => (countPtr: number, sizePtr: number) => {
    if (!vm.memory.setU32(u(countPtr), vm.environment.length)) return WasiErrno.Fault;
    let size = 0;
    for (const [k, v] of vm.environment) size += Buffer.byteLength(k) + Buffer.byteLength(v) + 2;
    return vm.memory.setU32(u(sizePtr), size) ? WasiErrno.Success : WasiErrno.Fault;
  }),
  wasi('args_get', 'ii:i', () => () => WasiErrno.Success),
  wasi('args_sizes_get', 'ii:i', (vm) => (argcPtr: number, sizePtr: number) =>
    vm.memory.setU32(u(argcPtr), 0) && vm.memory.setU32(u(sizePtr), 0) ? WasiErrno.Success : WasiErrno.Fault,
  ),
  wasi('clock_time_get', 'iIi:i', (vm) => (clock: number, _precision: bigint, timePtr: number) => {
    let t: bigint;
    if (clock === 0) t = vm.realtimeNs();
    else if (clock === 1) t = process.hrtime.bigint();
    else return WasiErrno.Notsup;
    return vm.memory.setU64(u(timePtr), t) ? WasiErrno.Success : WasiErrno.Fault;
  }),
  wasi('clock_res_get', 'ii:i', (vm) => (clock: number, resPtr: number) => {
    if (clock !== 0 && clock !== 1) return WasiErrno.Notsup;
    return vm.memory.setU64(u(resPtr), 1n) ? WasiErrno.Success : WasiErrno.Fault;
  }),
  wasi('fd_advise', 'iIIi:i', () => () => WasiErrno.Success),
  wasi('fd_allocate', 'iII:i', () => (fd: number) => (isStdio(fd) ? 0 : WasiErrno.Badf)),
  wasi('fd_datasync', 'i:i', () => (fd: number) => (isStdio(fd) ? 0 : WasiErrno.Badf)),
  wasi('fd_filestat_set_size', 'iI:i', () => (fd: number) => (isStdio(fd) ? 0 : WasiErrno.Badf)),
  wasi('fd_filestat_set_times', 'iIIi:i', () => (fd: number) => (isStdio(fd) ? 0 : WasiErrno.Badf)),
  wasi('fd_pread', 'iiiIi:i', () => () => WasiErrno.Nosys),
  wasi('fd_pwrite', 'iiiIi:i', (vm) => (fd: number, iovs: number, count: number, _offset: bigint, nwrittenPtr: number) => {
    if (!isStdio(fd)) return WasiErrno.Badf;
    const [errno, n] = writev(vm, fd, iovs, u(count));
    if (errno !== WasiErrno.Success) return errno;
    return vm.memory.setU32(u(nwrittenPtr), n) ? WasiErrno.Success : WasiErrno.Fault;
  }),
  wasi('fd_readdir', 'iiiIi:i', (vm) => (_fd: number, _buf: number, _len: number, _cookie: bigint, nreadPtr: number) =>
    vm.memory.setU32(u(nreadPtr), 0) ? WasiErrno.Notdir : WasiErrno.Fault,
  ),
  wasi('fd_renumber', 'ii:i', () => (fd: number, to: number) =>
    !isStdio(fd) || !isStdio(to) ? WasiErrno.Badf : WasiErrno.Notsup,
  ),
  wasi('fd_sync', 'i:i', () => (fd: number) => (isStdio(fd) ? 0 : WasiErrno.Badf)),
  wasi('fd_tell', 'ii:i', (vm) => (fd: number, retPtr: number) => {
    if (!isStdio(fd)) return WasiErrno.Badf;
    return vm.memory.setU64(u(retPtr), 0n) ? WasiErrno.Success : WasiErrno.Fault;
  }),
  wasi('path_create_directory', 'iii:i', () => () => WasiErrno.Notsup),
  wasi('path_filestat_set_times', 'iiiiIIi:i', () => () => WasiErrno.Notsup),
  wasi('path_link', 'iiiiii:i', () => () => WasiErrno.Notsup),
  wasi('path_readlink', 'iiiiii:i', (vm) => (_fd: number, _p: number, _l: number, _b: number, _bl: number, retPtr: number) =>
    vm.memory.setU32(u(retPtr), 0) ? WasiErrno.Notsup : WasiErrno.Fault,
  ),
  wasi('path_remove_directory', 'iii:i', () => () => WasiErrno.Notsup),
  wasi('path_rename', 'iiiiii:i', () => () => WasiErrno.Notsup),
  wasi('path_symlink', 'iiii:i', () => () => WasiErrno.Notsup),
  wasi('path_unlink_file', 'iii:i', () => () => WasiErrno.Notsup),
  wasi('sock_accept', 'iii:i', (vm) => (_fd: number, _flags: number, retPtr: number) =>
    vm.memory.setU64(u(retPtr), 0n) ? WasiErrno.Notsup : WasiErrno.Fault,
  ),
  wasi('sock_recv', 'iiiiii:i', (vm) => (_fd: number, _d: number, _l: number, _f: number, ret0: number, ret1: number) => {
    if (!vm.memory.setU32(u(ret0), 0)) return WasiErrno.Fault;
    const ok = vm.memory.setU8(u(ret1), 0) && vm.memory.setU8(u(ret1) + 1, 0);
    return ok ? WasiErrno.Notsup : WasiErrno.Fault;
  }),
  wasi('sock_send', 'iiiii:i', (vm) => (_fd: number, _d: number, _l: number, _f: number, ret0: number) =>
    vm.memory.setU32(u(ret0), 0) ? WasiErrno.Notsup : WasiErrno.Fault,
  ),
  wasi('sock_shutdown', 'ii:i', () => () => WasiErrno.Notsup),
  wasi('random_get', 'ii:i', (vm) => (bufPtr: number, len: number) => {
    const n = u(len);
    if (n > RANDOM_MAX) return WasiErrno.Inval;
    if (n === 0) return WasiErrno.Success;
    const view = vm.memory.view(u(bufPtr), n);
    if (!view) return WasiErrno.Fault;
    randomFillSync(view);
    return WasiErrno.Success;
  }),
  wasi('sched_yield', ':i', () => () => WasiErrno.Success),
  wasi('poll_oneoff', 'iiii:i', (vm) => (_in: number, _out: number, _n: number, neventsPtr: number) =>
    vm.memory.setU32(u(neventsPtr), 0) ? WasiErrno.Success : WasiErrno.Fault,
  ),
  wasi('proc_exit', 'i:', (vm) => () => {
    vm.hostLog('trace', 'wasi_unstable proc_exit');
  }),
  wasi('path_open', 'iiiiiIIii:i', () => () => WasiErrno.Noent),
  wasi('fd_prestat_get', 'ii:i', () => () => WasiErrno.Badf),
  wasi('fd_prestat_dir_name', 'iii:i', () => () => WasiErrno.Nosys),
  wasi('path_filestat_get', 'iiiii:i', () => () => WasiErrno.Notsup),
  wasi('fd_filestat_get', 'ii:i', () => () => WasiErrno.Badf),
];

/** The WASI functions, registered under both module names as cpp-host does. */
export function wasiHostFunctions(): HostFunctionDef[] {
  const out: HostFunctionDef[] = [];
  for (const f of FUNCTIONS) {
    out.push(f);
    out.push({ ...f, module: 'wasi_unstable' });
  }
  return out;
}
