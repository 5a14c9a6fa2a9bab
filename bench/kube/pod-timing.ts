// When a pod became Ready, read from the API object: what of its start was the container's own.
// Pure. The API's timestamps have 1-s resolution (RFC 3339 without fractions).

/** The parts of a V1Pod read here. */
export interface PodTimes {
  metadata?: { creationTimestamp?: Date | string };
  status?: {
    conditions?: Array<{ type: string; status: string; lastTransitionTime?: Date | string }>;
    containerStatuses?: Array<{ name: string; state?: { running?: { startedAt?: Date | string } } }>;
  };
}

const ms = (t: Date | string | undefined): number | undefined => (t === undefined ? undefined : new Date(t).getTime());

/**
 * The container's start (the named container's running.startedAt, else the latest of all) to
 * the pod's Ready condition, ms, and the pod's creation to Ready; undefined when not Ready yet.
 */
export function apiStartTimes(pod: PodTimes, container?: string): { containerToReadyMs: number; createdToReadyMs: number } | undefined {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  const readyAt = ms(ready?.lastTransitionTime);
  const created = ms(pod.metadata?.creationTimestamp);
  const statuses = pod.status?.containerStatuses ?? [];
  const chosen = statuses.filter((s) => container === undefined || s.name === container);
  const starts = (chosen.length > 0 ? chosen : statuses).map((s) => ms(s.state?.running?.startedAt)).filter((t): t is number => t !== undefined);
  if (readyAt === undefined || created === undefined || starts.length === 0) return undefined;
  return { containerToReadyMs: readyAt - Math.max(...starts), createdToReadyMs: readyAt - created };
}
