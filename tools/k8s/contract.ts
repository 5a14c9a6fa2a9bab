// The contract between the chart and the services, as pure functions over rendered objects and
// what each service declares about itself (ServiceSurface: its exported ServiceConfig, the
// routes its app registers, its OpenAPI document; tools/k8s/service-surface.ts builds them from
// the real apps). Checked for every service Deployment (contract-env.ts, contract-routes.ts):
//   env     every variable the service requires (no default) is set; no name the chart sets is
//           unknown to the service; every plain value passes the schema check the service runs
//           at start-up (per variable, then loadConfig as a whole with its rules across variables)
//   ports   the container port is the PORT the chart sets; probes and the Service's targetPort
//           name that port; routes' backend ports are ports of the Service
//   probes  every probe path is a GET route the app registers
//   migrate the migrate init container migrates this pod's service, on the service's database
//   urls    every in-release URL a service is given (JWKS, catalog, Redis, Postgres, OTLP), and
//           every URL the helm test pod calls, names a rendered Service and one of its ports,
//           and a path the target service serves
//   routes  every HTTPRoute/Ingress path prefix reaches the Service of the component whose
//           OpenAPI paths live under it, and every public path of a service is under its prefix
import type { ServiceConfig } from '@anypod/platform/config';
import { envViolations, migrateViolations } from './contract-env.ts';
import { portAndProbeViolations, routingViolations, testHookViolations, urlViolations } from './contract-routes.ts';
import type { K8sObject } from './render.ts';
import { violation, type Violation } from './violations.ts';
import { serviceDeployments } from './workloads.ts';

export { READ_OUTSIDE_SCHEMA, requiredVariables } from './contract-env.ts';
export { routeRules, surfacePrefix, underPrefix } from './contract-routes.ts';

export interface RouteInfo {
  method: string;
  url: string;
}

/** What a service declares: its configuration schema, its registered routes, its OpenAPI paths. */
export interface ServiceSurface {
  component: string;
  config: ServiceConfig;
  /** every route the app registers (hidden ones too: /healthz, /readyz, /metrics) */
  routes: RouteInfo[];
  /** where the OpenAPI document is served, e.g. /auth/openapi.json */
  openapiUrl: string;
  /** the document's paths: the service's public routes */
  openapiPaths: string[];
  /** the service has Prisma migrations (services/<name>/prisma), which the migrate image applies by name */
  hasMigrations: boolean;
}

/** Every contract check over a render. */
export function contractViolations(objects: K8sObject[], surfaces: ServiceSurface[]): Violation[] {
  const out: Violation[] = [];
  const templates = serviceDeployments(objects);
  for (const surface of surfaces) {
    const template = templates.find((t) => t.component === surface.component);
    if (!template) {
      out.push(violation('release', 'contract.deployment', `no Deployment with app.kubernetes.io/component: ${surface.component} was rendered`));
      continue;
    }
    out.push(...envViolations(template, surface, objects), ...portAndProbeViolations(template, surface, objects), ...urlViolations(template, objects, surfaces), ...migrateViolations(template, surface, objects));
  }
  out.push(...routingViolations(objects, surfaces), ...testHookViolations(objects, surfaces));
  return out;
}
