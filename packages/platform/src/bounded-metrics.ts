// Counters and histograms whose labels can only take values declared up front. Two reasons:
// cardinality stays bounded by construction (a label value outside its list does not compile),
// and every combination is exported as 0 from start-up, so a dashboard panel or an alert has a
// series before the first event instead of "no data" (a rate over a missing series is empty,
// not zero).
import { Counter, Histogram, type Registry } from 'prom-client';

/** For each label, the values it may take. */
export type LabelSets = Record<string, readonly string[]>;
/** One value per label. */
export type LabelsOf<S extends LabelSets> = { [K in keyof S]: S[K][number] };

export interface BoundedCounter<S extends LabelSets> {
  inc(labels: LabelsOf<S>, value?: number): void;
}

export interface BoundedHistogram<S extends LabelSets> {
  observe(labels: LabelsOf<S>, seconds: number): void;
}

interface Definition<S extends LabelSets> {
  name: string;
  help: string;
  labels: S;
  /** keeps only the combinations that can occur (e.g. a reason only with result="rejected") */
  only?: (labels: LabelsOf<S>) => boolean;
}

/** Every combination of the label values (the cartesian product), minus those `only` refuses. */
export function combinations<S extends LabelSets>(labels: S, only: (labels: LabelsOf<S>) => boolean = () => true): Array<LabelsOf<S>> {
  let all: Array<Record<string, string>> = [{}];
  for (const [name, values] of Object.entries(labels)) {
    all = all.flatMap((partial) => values.map((value) => ({ ...partial, [name]: value })));
  }
  return (all as Array<LabelsOf<S>>).filter(only);
}

export function boundedCounter<S extends LabelSets>(registry: Registry, def: Definition<S>): BoundedCounter<S> {
  const counter = new Counter({ name: def.name, help: def.help, labelNames: Object.keys(def.labels), registers: [registry] });
  for (const labels of combinations(def.labels, def.only)) counter.inc(labels, 0);
  return { inc: (labels, value = 1) => counter.inc(labels, value) };
}

export function boundedHistogram<S extends LabelSets>(registry: Registry, def: Definition<S> & { buckets: number[] }): BoundedHistogram<S> {
  const histogram = new Histogram({ name: def.name, help: def.help, labelNames: Object.keys(def.labels), buckets: def.buckets, registers: [registry] });
  for (const labels of combinations(def.labels, def.only)) histogram.zero(labels);
  return { observe: (labels, seconds) => histogram.observe(labels, seconds) };
}
