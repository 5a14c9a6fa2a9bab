// Every rendered object — the defaults and each ci variant, helm test hooks included, and the
// committed k8s/ folder — validated offline by kubectl-validate: built-in kinds against the
// Kubernetes 1.30 schemas (the newest the pinned binary carries), Gateway API kinds against the
// pinned standard CRDs. One validator run for all renders. Shown failing on objects broken in
// ways the API server would refuse.
import { beforeAll, describe, expect, it } from 'vitest';
import type { K8sObject } from '../../k8s/render.ts';
import { carriedKubernetesVersions, formatFailures, gatewayApiCrds, KUBERNETES_SCHEMA_VERSION, validateRenders } from '../../k8s/validate.ts';
import { chartVariants, committedK8sText, DEFAULTS, renderVariant, renderVariantText } from '../../k8s/variants.ts';
import { field } from '../../k8s/workloads.ts';

describe(`kubectl-validate (Kubernetes ${KUBERNETES_SCHEMA_VERSION}, Gateway API CRDs)`, () => {
  let crds: string;
  beforeAll(() => {
    crds = gatewayApiCrds();
  });

  it(`${KUBERNETES_SCHEMA_VERSION} is the newest Kubernetes version the pinned kubectl-validate carries`, () => {
    const carried = carriedKubernetesVersions();
    console.log(`kubectl-validate carries the schemas of Kubernetes ${carried.join(', ')}`);
    expect(carried.at(-1), 'validate against the newest schemas the binary embeds: update KUBERNETES_SCHEMA_VERSION in tools/k8s/validate.ts').toBe(KUBERNETES_SCHEMA_VERSION);
  });

  it('every object of the defaults and every ci variant is valid', () => {
    const started = Date.now();
    const renders = chartVariants().map((variant) => ({ label: variant.label, input: renderVariantText(variant) }));
    // And k8s/ as committed: what `kubectl apply -f k8s/` sends (its drift test compares it with a render).
    renders.push({ label: 'k8s/', input: committedK8sText() });
    const rendered = Date.now();
    const { files, failures } = validateRenders(renders, crds);
    const kinds = new Set(files.map((f) => f.object.split('/')[0]));
    console.log(
      `validated ${files.length} objects from ${renders.length} renders (${[...kinds].sort().join(', ')}): render ${rendered - started} ms, kubectl-validate ${Date.now() - rendered} ms`,
    );
    expect(failures, `objects the API server would refuse (fix the template that renders them):\n${formatFailures(failures)}`).toEqual([]);
    // What the run must have covered, so a render that lost its routes or test hooks cannot pass quietly.
    for (const kind of ['Deployment', 'Service', 'HTTPRoute', 'Gateway', 'Ingress', 'Pod']) expect(kinds, `no ${kind} was validated`).toContain(kind);
  });

  it('the chart\'s kubeVersion floor holds: against 1.28 schemas its pre-stop sleep is refused', () => {
    // lifecycle.preStop.sleep arrived in 1.29 (alpha) and is on by default from 1.30, which is
    // why Chart.yaml says kubeVersion >=1.30: the validator sees that too, so the version matters.
    const { failures } = validateRenders([{ label: 'defaults@1.28', input: renderVariantText(DEFAULTS) }], crds, '1.28');
    const refused = [...new Set(failures.map((f) => f.object))].sort();
    expect(refused, formatFailures(failures)).toEqual(['Deployment/anypod-auth', 'Deployment/anypod-cart', 'Deployment/anypod-catalog']);
    for (const failure of failures) expect(failure.message).toMatch(/preStop\.sleep/);
  });

  describe('shown failing on broken objects', () => {
    let defaults: K8sObject[];
    beforeAll(() => {
      defaults = renderVariant(DEFAULTS);
    });

    const byKind = (objects: K8sObject[], kind: string, name: string) => {
      const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
      if (!object) throw new Error(`the defaults render no ${kind}/${name}`);
      return object;
    };

    const cases: Array<[string, (objects: K8sObject[]) => void, string, RegExp]> = [
      ['a Deployment with replicas "three"', (o) => { (byKind(o, 'Deployment', 'anypod-auth').spec as { replicas: unknown }).replicas = 'three'; }, 'Deployment/anypod-auth', /replicas/],
      ['a Deployment with an unknown container field', (o) => {
        const containers = field(byKind(o, 'Deployment', 'anypod-cart'), 'spec', 'template', 'spec', 'containers') as Array<Record<string, unknown>>;
        containers[0]!.imagePullPolcy = 'Always';
      }, 'Deployment/anypod-cart', /imagePullPolcy/],
      ['a pre-stop sleep of "3s"', (o) => {
        const containers = field(byKind(o, 'Deployment', 'anypod-catalog'), 'spec', 'template', 'spec', 'containers') as Array<{ lifecycle: { preStop: { sleep: { seconds: unknown } } } }>;
        containers[0]!.lifecycle.preStop.sleep.seconds = '3s';
      }, 'Deployment/anypod-catalog', /seconds/],
      ['an HTTPRoute with an unknown field', (o) => {
        const rules = field(byKind(o, 'HTTPRoute', 'anypod-auth'), 'spec', 'rules') as Array<Record<string, unknown>>;
        rules[0]!.backendRef = rules[0]!.backendRefs;
      }, 'HTTPRoute/anypod-auth', /backendRef/],
      ['an HTTPRoute path match of type Prefix (the Ingress word, not Gateway API\'s)', (o) => {
        const rules = field(byKind(o, 'HTTPRoute', 'anypod-cart'), 'spec', 'rules') as Array<{ matches: Array<{ path: { type: string } }> }>;
        rules[0]!.matches[0]!.path.type = 'Prefix';
      }, 'HTTPRoute/anypod-cart', /Prefix/],
      ['an HPA target of "70%"', (o) => {
        const metrics = field(byKind(o, 'HorizontalPodAutoscaler', 'anypod-catalog'), 'spec', 'metrics') as Array<{ resource: { target: { averageUtilization: unknown } } }>;
        metrics[0]!.resource.target.averageUtilization = '70%';
      }, 'HorizontalPodAutoscaler/anypod-catalog', /averageUtilization/],
      ['a Service port given by name where a number goes', (o) => {
        ((byKind(o, 'Service', 'anypod-auth').spec as { ports: Array<{ port: unknown }> }).ports[0]!).port = 'http';
      }, 'Service/anypod-auth', /port/],
    ];

    it('each broken object is refused', () => {
      // Only the edited object goes to the validator (the rest is the unbroken defaults, checked
      // once below): one short run for every case.
      const renders = cases.map(([label, edit, object]) => {
        const objects = structuredClone(defaults);
        edit(objects);
        return { label, input: objects.filter((o) => `${o.kind}/${o.metadata.name}` === object) };
      });
      // The unbroken defaults as JSON too: the same writer, so a failure below is the edit's.
      const { failures } = validateRenders([{ label: 'unbroken', input: defaults }, ...renders], crds);
      expect(formatFailures(failures.filter((f) => f.label === 'unbroken'))).toBe('');
      for (const [label, , object, message] of cases) {
        const mine = failures.filter((f) => f.label === label);
        expect(
          mine.map((f) => f.object),
          `${label}: expected exactly ${object} refused, got:\n${formatFailures(mine) || '  nothing'}`,
        ).toEqual([object]);
        expect(mine[0]!.message).toMatch(message);
      }
    });
  });
});
