/* global __ENV */ // k6's global
// k6/http against the test's loopback server; results reported as RESULT lines on stderr.
import http from 'k6/http';
import { check, group } from 'k6';

export const options = { vus: 1, iterations: 1 };

const base = __ENV.BASE_URL;
const report = (name, value) => console.log('RESULT ' + JSON.stringify({ name, value }));

export default function () {
  group('api', () => {
    const res = http.get(`${base}/hello`, { tags: { name: 'hello' } });
    report('hello', {
      status: res.status, servedBy: res.headers['X-Served-By'], multi: res.headers['X-Multi'],
      body: res.json(), url: res.url, method: res.request.method, error: res.error, error_code: res.error_code,
      cookie: res.cookies.sid && res.cookies.sid[0].value, timingKeys: Object.keys(res.timings).sort(),
      durationOk: res.timings.duration >= 0,
    });
    check(res, { 'status is 200': (r) => r.status === 200, 'is served': (r) => r.headers['X-Served-By'] === 'pod-a' });
  });
  report('jarCookie', http.get(`${base}/cookies`).body);
  report('freshJarCookie', http.get(`${base}/cookies`, { jar: new http.CookieJar() }).body);
  const notFound = http.get(`${base}/status/404`);
  check(notFound, { 'is 200 (fails)': (r) => r.status === 200 });
  report('notFound', { status: notFound.status });
  const refused = http.get(__ENV.REFUSED_URL);
  report('refused', { status: refused.status, error_code: refused.error_code, error: refused.error });
  const outside = http.get('http://192.0.2.10/never');
  report('outside', { status: outside.status, error_code: outside.error_code, error: outside.error });
  const posted = http.post(`${base}/echo`, JSON.stringify({ a: 1 }), { headers: { 'Content-Type': 'application/json' } });
  report('echo', posted.body);
}
