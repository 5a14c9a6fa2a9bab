// problemBody is the one builder of problem+json bodies: sendProblem, the errors Node answers before
// routing (server-limits.ts), cart's recorded idempotent outcomes and nginx's own error pages use
// it, so its field order and titles are checked here once.
import { describe, expect, it } from 'vitest';
import { problemBody } from '../src/problem.ts';

describe('problemBody', () => {
  it('builds the RFC 9457 body with the status title, fields in a fixed order', () => {
    const body = problemBody(409, 'taken', '/x', [{ field: 'email', message: 'is taken' }]);
    expect(JSON.stringify(body)).toBe(
      '{"type":"about:blank","title":"Conflict","status":409,"detail":"taken","instance":"/x","errors":[{"field":"email","message":"is taken"}]}',
    );
  });

  it('leaves out an empty detail and absent instance/errors; an unknown status is titled Error', () => {
    expect(problemBody(418, '')).toEqual({ type: 'about:blank', title: 'Error', status: 418 });
    expect(problemBody(503)).toEqual({ type: 'about:blank', title: 'Service Unavailable', status: 503 });
  });

  it('titles the errors Node answers before routing (server-limits.ts) by their RFC 9110 names', () => {
    expect(problemBody(408).title).toBe('Request Timeout');
    expect(problemBody(431).title).toBe('Request Header Fields Too Large');
  });

  it('cuts the instance to what the Problem schema allows', () => {
    expect(problemBody(404, 'no', `/${'a'.repeat(3000)}`).instance).toHaveLength(2048);
  });
});
