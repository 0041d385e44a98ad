// `npm run bench`: every benchmark figure as one JSON line on stdout, each next to a baseline
// measured in the same run. BENCH_SECONDS sets the load duration per proxy run (default 10).
import { benchDetectionCpu } from './detection-cpu.js';
import { benchFilterCpu } from './filter-cpu.js';
import { benchLatency } from './latency.js';
import { benchProxyRps } from './proxy-rps.js';

const seconds = Number(process.env.BENCH_SECONDS ?? '10');
await benchFilterCpu();
await benchDetectionCpu();
await benchLatency(Number(process.env.BENCH_LATENCY_REQUESTS ?? '2000'));
await benchProxyRps(seconds);
const { benchPolicyPropagation } = await import('./policy-propagation.js');
await benchPolicyPropagation();
// xDS: policy change → all streams ACKed, and memory per idle stream, against a bare grpc-js
// server pushing the same bytes (the floor). Counts: BENCH_XDS_STREAMS (default 1000,5000,10000).
const { benchXdsStreams } = await import('./xds-streams.js');
await benchXdsStreams({ counts: (process.env.BENCH_XDS_STREAMS ?? '1000,5000,10000').split(',').map(Number) });
// TCP mode: PostgreSQL SELECT round trip through proxy --tcp vs direct, parser MB/s.
const { benchTcpProxy } = await import('./tcp-proxy.js');
await benchTcpProxy();
// Events: ingest throughput (BENCH_EVENTS_SECONDS, default 60; 0 lost) and incident query latency.
await (await import('./events-ingest.js')).benchEventsIngest();
// Host agent: exec storm (events/s, lost, agent CPU per 1,000 exec/s) and passive inspection MB/s.
await (await import('./agent.js')).benchAgent();
