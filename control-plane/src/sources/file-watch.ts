// Watches files and folders for changes, debounced: editors write a file as several events
// (truncate, write, rename), and one change should mean one reload. Folders are watched rather
// than files because an editor's save replaces the file (a new inode a file watch would miss).
import { watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { statSync } from 'node:fs';

export interface FileWatch {
  close(): void;
}

export function watchPaths(paths: readonly string[], onChange: () => void, quietMs = 100): FileWatch {
  const dirs = new Set<string>();
  for (const p of paths) {
    const abs = resolve(p);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      // Not there yet: watch where it will appear.
    }
    dirs.add(isDir ? abs : dirname(abs));
  }
  let timer: NodeJS.Timeout | undefined;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, quietMs);
  };
  const watchers: FSWatcher[] = [...dirs].map((d) => {
    const w = watch(d, fire);
    w.unref();
    return w;
  });
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
