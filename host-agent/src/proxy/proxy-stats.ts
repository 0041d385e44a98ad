// Counters of the proxy layers (listener, codecs, upstream), beside the host's and the filter's.
export interface ProxyStats {
  connectionsAccepted: number;
  connectionsActive: number;
  tlsHandshakeErrors: number;
  downstreamRequests: number;
  downstreamResets: number;
  upstreamRequests: number;
  upstreamResponses: number;
  upstreamFailures: number;
  /** Route timeouts: the upstream did not finish its response in time (504, or reset). */
  upstreamTimeouts: number;
  streamsReset: number;
  exchangesCompleted: number;
  protocolErrors: number;
}

export function newProxyStats(): ProxyStats {
  return {
    connectionsAccepted: 0,
    connectionsActive: 0,
    tlsHandshakeErrors: 0,
    downstreamRequests: 0,
    downstreamResets: 0,
    upstreamRequests: 0,
    upstreamResponses: 0,
    upstreamFailures: 0,
    upstreamTimeouts: 0,
    streamsReset: 0,
    exchangesCompleted: 0,
    protocolErrors: 0,
  };
}
