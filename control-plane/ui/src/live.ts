// The live event stream for pages that show what is happening (events, incidents): events pushed
// by GET /v1/events/stream as they are stored. While the stream is down the state is `polling`
// (the page polls as before) and a new connection is tried every few seconds.
import { useEffect, useRef, useState } from 'react';
import { readEventStream } from '../../src/api/sse-reader';
import { getToken, qs } from './api';
import type { EventItem } from './types';

export type LiveState = 'connecting' | 'stream' | 'polling';

const RETRY_MS = 5000;

export function useEventStream(params: Record<string, string | undefined>, onEvent: (item: EventItem) => void, enabled = true): { state: LiveState; dropped: number } {
  const [state, setState] = useState<LiveState>('connecting');
  const [dropped, setDropped] = useState(0);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const key = qs(params);
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      setState('connecting');
      readEventStream(`/v1/events/stream${key}`, { token: getToken(), signal: controller.signal }, (m) => {
        if (m.event === 'hello') setState('stream');
        else if (m.event === 'dropped') setDropped((n) => n + (JSON.parse(m.data) as { dropped: number }).dropped);
        else if (m.event === 'event') {
          const d = JSON.parse(m.data) as Pick<EventItem, 'event' | 'receivedMs'>;
          handler.current({ event: d.event, receivedMs: d.receivedMs, incident: null });
        }
      }).then(
        () => fallBack(),
        () => fallBack(),
      );
    };
    const fallBack = () => {
      if (controller.signal.aborted) return;
      setState('polling');
      retry = setTimeout(connect, RETRY_MS);
    };
    connect();
    return () => {
      controller.abort();
      clearTimeout(retry);
    };
  }, [key, enabled]);
  return { state: enabled ? state : 'polling', dropped };
}
