// `npm run bench`: every benchmark figure as one JSON line on stdout, each next to a baseline
// measured in the same run. BENCH_SECONDS sets the load duration per proxy run (default 10).
import { benchFilterCpu } from './filter-cpu.js';
import { benchProxyRps } from './proxy-rps.js';

const seconds = Number(process.env.BENCH_SECONDS ?? '10');
await benchFilterCpu();
await benchProxyRps(seconds);
