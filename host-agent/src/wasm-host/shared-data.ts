// Process-wide shared key/value data, partitioned by vm_id (proxy-wasm-cpp-host shared_data.cc):
// - one CAS counter for the whole process, starting at 1 and skipping 0;
// - every successful set gives the key a fresh CAS;
// - set with cas == 0 is unconditional; with cas != 0 it fails with CasMismatch only when the key
//   exists and its CAS differs (a missing key is simply created);
// - get of a missing key (or of a vm_id with no data) is NotFound.
// The data of a vm_id is dropped when the last VM with that vm_id closes (cpp-host VmIdHandle).

import { WasmResult } from './status.js';

export class SharedData {
  private cas = 1;
  private readonly data = new Map<string, Map<string, { value: Uint8Array; cas: number }>>();

  private nextCas(): number {
    const c = this.cas;
    this.cas = (this.cas + 1) >>> 0;
    if (this.cas === 0) this.cas = 1;
    return c;
  }

  get(vmId: string, key: string): { result: WasmResult; value?: Uint8Array; cas?: number } {
    const entry = this.data.get(vmId)?.get(key);
    if (!entry) return { result: WasmResult.NotFound };
    return { result: WasmResult.Ok, value: entry.value, cas: entry.cas };
  }

  set(vmId: string, key: string, value: Uint8Array, cas: number): WasmResult {
    let map = this.data.get(vmId);
    if (!map) {
      map = new Map();
      this.data.set(vmId, map);
    }
    const entry = map.get(key);
    if (entry && cas !== 0 && cas !== entry.cas) return WasmResult.CasMismatch;
    map.set(key, { value, cas: this.nextCas() });
    return WasmResult.Ok;
  }

  deleteVmId(vmId: string): void {
    this.data.delete(vmId);
  }
}

export const sharedData = new SharedData();
