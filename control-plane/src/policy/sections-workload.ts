// The workload sections (host agent), in the order they are checked; sections.ts appends them.
import type { AnySpecSection } from './section.js';
import { channelsSection } from './section-channels.js';
import { filesSection } from './section-files.js';
import { portsSection } from './section-ports.js';
import { processesSection } from './section-processes.js';
import { trafficSection } from './section-traffic.js';

export const WORKLOAD_SECTIONS: readonly AnySpecSection[] = [processesSection, filesSection, portsSection, channelsSection, trafficSection];
