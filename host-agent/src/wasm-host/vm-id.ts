// Reference counts of live VMs per vm_id (cpp-host VmIdHandle): shared data and shared queues of
// a vm_id outlive any one VM and are dropped when the last VM with that vm_id closes.

const counts = new Map<string, number>();
const onLast: Array<(vmId: string) => void> = [];

export function acquireVmId(vmId: string): void {
  counts.set(vmId, (counts.get(vmId) ?? 0) + 1);
}

export function releaseVmId(vmId: string): void {
  const n = (counts.get(vmId) ?? 1) - 1;
  if (n > 0) {
    counts.set(vmId, n);
    return;
  }
  counts.delete(vmId);
  for (const f of onLast) f(vmId);
}

export function onLastVmIdReleased(f: (vmId: string) => void): void {
  onLast.push(f);
}
