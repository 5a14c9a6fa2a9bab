// Virtual-user journeys as client-independent generators, and the outcome rules they record by.
// Import as '@anypod/scenarios/journeys/index' (the Node driver) or by relative path (k6).
export { send, sleep, type Action, type Sent, type Step } from './actions.ts';
export { attemptOf, perform, type OperationContext, type OperationResult, type OperationSpec } from './operation.ts';
export { backoffMs, classifyAttempt, combineOutcome, DEFAULT_RETRY, type AttemptVerdict, type RetryPolicy } from './outcomes.ts';
export { readBack, type ReadBack, type ReadBackOptions } from './read-back.ts';
export { seededRandom, vuSeed, type Random } from './random.ts';
export { createSessionPods, serviceOf, type SessionPods } from './session-pods.ts';
export { smokeJourney, type SmokeOptions, type SmokeStep } from './smoke.ts';
export {
  createShopper,
  DEFAULT_BEHAVIOUR,
  SESSION_COOKIE,
  type Observation,
  type Shopper,
  type ShopperBehaviour,
  type ShopperOptions,
  type ShopperSession,
} from './shopper.ts';
