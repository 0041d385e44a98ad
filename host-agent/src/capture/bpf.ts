// Classic BPF programs for the capture ring, built here (the addon only attaches them): TCP over
// IPv4 or IPv6 on an Ethernet-framed interface (veth, and lo's fake Ethernet header), optionally
// only segments with one of `ports` as source or destination (IPv4 without options beyond the
// fixed header is checked by IHL, as tcpdump's compiler does).
import type { BpfInstruction } from '../native/native.js';

const LD_H_ABS = 0x28;
const LD_B_ABS = 0x30;
const LDX_B_MSH = 0xb1;
const LD_H_IND = 0x48;
const JEQ_K = 0x15;
const RET_K = 0x06;

const ACCEPT = 262144;
const NEXT = '(next)';

export function tcpFilter(ports: readonly number[] = []): BpfInstruction[] {
  const p: BpfInstruction[] = [];
  // Labels are resolved at the end; each jump holds a label name until then.
  const jumps: Array<{ at: number; jt?: string; jf?: string }> = [];
  const labels = new Map<string, number>();
  const label = (name: string) => labels.set(name, p.length);
  const jeq = (k: number, jt: string, jf: string) => {
    jumps.push({ at: p.length, jt, jf });
    p.push([JEQ_K, 0, 0, k]);
  };
  p.push([LD_H_ABS, 0, 0, 12]);
  jeq(0x0800, 'ip4', 'check6');
  label('ip4');
  p.push([LD_B_ABS, 0, 0, 23]);
  jeq(6, ports.length ? 'ports4' : 'accept', 'drop');
  label('check6');
  p.push([LD_H_ABS, 0, 0, 12]);
  jeq(0x86dd, 'ip6', 'drop');
  label('ip6');
  p.push([LD_B_ABS, 0, 0, 20]);
  jeq(6, ports.length ? 'ports6' : 'accept', 'drop');
  // A chain of tests on one loaded port: a hit accepts, a miss falls through to the next test,
  // the last miss goes to `fail`.
  const chain = (fail: string) => ports.forEach((port, i) => jeq(port, 'accept', i === ports.length - 1 ? fail : NEXT));
  if (ports.length) {
    label('ports4');
    p.push([LDX_B_MSH, 0, 0, 14]); // X = IPv4 header length
    p.push([LD_H_IND, 0, 0, 14]); // source port
    chain('dst4');
    label('dst4');
    p.push([LD_H_IND, 0, 0, 16]); // destination port
    chain('drop');
    label('ports6');
    p.push([LD_H_ABS, 0, 0, 54]);
    chain('dst6');
    label('dst6');
    p.push([LD_H_ABS, 0, 0, 56]);
    chain('drop');
  }
  label('accept');
  p.push([RET_K, 0, 0, ACCEPT]);
  label('drop');
  p.push([RET_K, 0, 0, 0]);
  for (const j of jumps) {
    const ins = p[j.at];
    // A "next" label placed right after its own chain falls through to the following test.
    const target = (name: string | undefined): number => {
      if (name === NEXT) return 0;
      const to = labels.get(name!);
      if (to === undefined) throw new Error(`bpf: label ${name} missing`);
      const off = to - j.at - 1;
      if (off < 0 || off > 255) throw new Error('bpf: jump out of range (too many ports)');
      return off;
    };
    ins[1] = target(j.jt);
    ins[2] = target(j.jf);
  }
  return p;
}
