// The sections of `spec`, in the order they are checked and reported.
import type { AnySpecSection } from './section.js';
import { ingressSection } from './section-ingress.js';
import { modeSection } from './section-mode.js';
import { selectorSection } from './section-selector.js';
import { wafSection } from './section-waf.js';
import { dlpSection } from './section-dlp.js';
import { egressSection } from './section-egress.js';
import { tcpSection } from './section-tcp.js';
import { reportingSection } from './section-reporting.js';
import { WORKLOAD_SECTIONS } from './sections-workload.js';

export const SPEC_SECTIONS: readonly AnySpecSection[] = [selectorSection, modeSection, ingressSection, wafSection, dlpSection, egressSection, tcpSection, reportingSection, ...WORKLOAD_SECTIONS];
