package main

// Thresholds in k6's grammar: a key `metric` or `metric{tag:value,...}` and expressions
// `<aggregation> <operator> <number>`. Parsing errors and unknown metrics are configuration errors
// (exit 104); evaluation happens at the end, and every 2 s for abortOnFail ones, as k6 does.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

type threshold struct {
	source         string
	method         string
	op             string
	value          float64
	abortOnFail    bool
	delayAbortEval time.Duration
	ok             bool
}

var thresholdRE = regexp.MustCompile(`^\s*(avg|min|max|med|count|rate|value|p\(\s*\d+(?:\.\d+)?\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$`)

func parseThresholdExpr(src string) (*threshold, error) {
	m := thresholdRE.FindStringSubmatch(src)
	if m == nil {
		return nil, fmt.Errorf("malformed threshold expression %q: expected '<aggregation> <operator> <number>', e.g. 'p(95)<500'", src)
	}
	v, err := strconv.ParseFloat(m[3], 64)
	if err != nil {
		return nil, fmt.Errorf("malformed threshold expression %q: %w", src, err)
	}
	return &threshold{source: src, method: strings.ReplaceAll(m[1], " ", ""), op: m[2], value: v, ok: true}, nil
}

func (t *threshold) holds(agg float64) bool {
	switch t.op {
	case "<":
		return agg < t.value
	case "<=":
		return agg <= t.value
	case ">":
		return agg > t.value
	case ">=":
		return agg >= t.value
	case "==", "===":
		return agg == t.value
	case "!=":
		return agg != t.value
	}
	return false
}

// parseThresholdKey splits `name{tag:value,tag2:"v"}` into the metric name and the tag filter.
func parseThresholdKey(key string) (string, map[string]string, error) {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return strings.TrimSpace(key), nil, nil
	}
	if !strings.HasSuffix(key, "}") {
		return "", nil, fmt.Errorf("malformed threshold key %q: a submetric selector must end with '}'", key)
	}
	name := strings.TrimSpace(key[:open])
	tags := map[string]string{}
	inner := key[open+1 : len(key)-1]
	for _, pair := range strings.Split(inner, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, ":")
		if !ok {
			return "", nil, fmt.Errorf("malformed threshold key %q: %q is not tag:value", key, pair)
		}
		tags[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return name, tags, nil
}

type thresholdSpec struct {
	Threshold      string         `json:"threshold"`
	AbortOnFail    bool           `json:"abortOnFail"`
	DelayAbortEval durationOption `json:"delayAbortEval"`
}

// attachThresholds validates options.thresholds against the metrics known after the init
// context ran and hangs the parsed thresholds on metrics and submetrics.
func (e *engine) attachThresholds(raw map[string]json.RawMessage) error {
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		name, tags, err := parseThresholdKey(key)
		if err != nil {
			return err
		}
		m := e.lookup(name)
		if m == nil {
			return fmt.Errorf("invalid threshold defined on %s; reason: no metric name %q found", key, name)
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw[key], &items); err != nil {
			return fmt.Errorf("invalid thresholds for %s: expected an array of strings or objects", key)
		}
		var list []*threshold
		for _, item := range items {
			var spec thresholdSpec
			if err := json.Unmarshal(item, &spec.Threshold); err != nil {
				if err := json.Unmarshal(item, &spec); err != nil {
					return fmt.Errorf("invalid threshold on %s: %s", key, item)
				}
			}
			t, err := parseThresholdExpr(spec.Threshold)
			if err != nil {
				return fmt.Errorf("invalid threshold defined on %s; reason: %w", key, err)
			}
			if _, err := (&sink{}).aggregate(m.typ, t.method, time.Second); err != nil {
				return fmt.Errorf("invalid threshold defined on %s; reason: %w", key, err)
			}
			t.abortOnFail = spec.AbortOnFail
			t.delayAbortEval = time.Duration(spec.DelayAbortEval)
			list = append(list, t)
		}
		if tags == nil {
			m.thresholds = append(m.thresholds, list...)
			continue
		}
		sub := &submetric{name: key, tags: tags}
		sub.thresholds = list
		m.submetrics = append(m.submetrics, sub)
	}
	return nil
}

// evaluate runs the thresholds; periodic runs skip empty sinks (as k6 does), the final one does
// not, so a metric without samples is judged on zero values. It returns the breached
// expressions and whether an abortOnFail one is among them.
func (e *engine) evaluate(final bool) (breached []string, abort bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	elapsed := e.elapsed()
	run := func(label string, typ metricType, s *sink, ths []*threshold) {
		if len(ths) == 0 || (!final && s.n == 0) {
			return
		}
		for _, t := range ths {
			agg, err := s.aggregate(typ, t.method, elapsed)
			t.ok = err == nil && t.holds(agg)
			if !t.ok {
				breached = append(breached, label+": "+t.source)
				if t.abortOnFail && !final && elapsed >= t.delayAbortEval {
					abort = true
				}
			}
		}
	}
	for _, m := range e.order {
		run(m.name, m.typ, &m.sink, m.thresholds)
		for _, sub := range m.submetrics {
			run(sub.name, m.typ, &sub.sink, sub.thresholds)
		}
	}
	return breached, abort
}
