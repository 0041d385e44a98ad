// The embedded default sources: SecurityPolicies from a folder of YAML files and the workload
// inventory from a YAML file, reloaded when they change. A broken edit is reported (file, line,
// reason) and the last good state stays in force: nothing half-valid is ever handed on.
import { loadPolicyFiles } from '../policy/load.js';
import type { SecurityPolicy } from '../policy/types.js';
import type { WorkloadEntry } from '../xds/inventory.js';
import { watchPaths, type FileWatch } from './file-watch.js';
import { loadInventoryFile } from './inventory-file.js';

export interface SourceState {
  policies: SecurityPolicy[];
  inventory: WorkloadEntry[];
}

export interface SourceHandlers {
  /** The whole state, once at start and after every good change. */
  update(state: SourceState): void;
  /** A change that could not be taken; the previous state stays. */
  error(err: Error): void;
}

export interface Sources {
  /** The last good state. */
  current(): SourceState;
  close(): void;
}

export interface LocalSourceOptions {
  /** Folders or files of SecurityPolicy YAML. */
  policies: string[];
  /** Inventory YAML file; without it the inventory is empty. */
  inventory?: string;
  watch?: boolean;
}

/** Loads both sources once (throwing if either is broken at start: there is no last good state
 * to keep yet), then watches them. */
export function startLocalSources(options: LocalSourceOptions, handlers: SourceHandlers): Sources {
  const load = (): SourceState => ({
    policies: loadPolicyFiles(options.policies),
    inventory: options.inventory ? loadInventoryFile(options.inventory) : [],
  });
  let state = load();
  handlers.update(state);
  let watcher: FileWatch | undefined;
  if (options.watch !== false) {
    const paths = [...options.policies, ...(options.inventory ? [options.inventory] : [])];
    watcher = watchPaths(paths, () => {
      try {
        state = load();
      } catch (err) {
        handlers.error(err as Error);
        return;
      }
      handlers.update(state);
    });
  }
  return {
    current: () => state,
    close: () => watcher?.close(),
  };
}
