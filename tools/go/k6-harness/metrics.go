package main

// The metrics engine: k6's four metric types, their sinks, submetrics (tag filters from threshold
// keys) and the samples every part of the harness pushes. One engine per run, shared by all VUs
// behind one mutex: VUs are few and a sample is cheap, so contention does not matter here.

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"sync"
	"time"
)

type metricType string

const (
	counterType metricType = "counter"
	gaugeType   metricType = "gauge"
	rateType    metricType = "rate"
	trendType   metricType = "trend"
)

// k6's rule for metric names (metrics.ParseMetricName's first check).
var metricNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,127}$`)

type sink struct {
	count          float64 // counter: sum; rate: total samples; trend: number of values
	nonZero        float64 // rate: the non-zero samples
	last, min, max float64
	values         []float64 // trend
	sorted         bool
	n              int // samples of any type
}

func (s *sink) add(t metricType, v float64) {
	if s.n == 0 {
		s.min, s.max = v, v
	}
	s.n++
	s.min = math.Min(s.min, v)
	s.max = math.Max(s.max, v)
	s.last = v
	switch t {
	case counterType:
		s.count += v
	case rateType:
		s.count++
		if v != 0 {
			s.nonZero++
		}
	case trendType:
		s.count++
		s.values = append(s.values, v)
		s.sorted = false
	}
}

// percentile interpolates linearly between the two closest ranks, as k6's trend sink does.
func (s *sink) percentile(p float64) float64 {
	if len(s.values) == 0 {
		return 0
	}
	if !s.sorted {
		sort.Float64s(s.values)
		s.sorted = true
	}
	if p <= 0 {
		return s.values[0]
	}
	if p >= 100 {
		return s.values[len(s.values)-1]
	}
	rank := p / 100 * float64(len(s.values)-1)
	lower := math.Floor(rank)
	i := int(lower)
	if i+1 >= len(s.values) {
		return s.values[i]
	}
	return s.values[i] + (s.values[i+1]-s.values[i])*(rank-lower)
}

// aggregate gives one aggregation method's value; an empty sink yields 0 like k6's sinks.
func (s *sink) aggregate(t metricType, method string, elapsed time.Duration) (float64, error) {
	switch {
	case t == counterType && method == "count":
		return s.count, nil
	case t == counterType && method == "rate":
		if elapsed <= 0 {
			return 0, nil
		}
		return s.count / elapsed.Seconds(), nil
	case t == gaugeType && method == "value":
		return s.last, nil
	case t == gaugeType && (method == "min" || method == "max"):
		if method == "min" {
			return s.min, nil
		}
		return s.max, nil
	case t == rateType && method == "rate":
		if s.count == 0 {
			return 0, nil
		}
		return s.nonZero / s.count, nil
	case t == trendType:
		switch method {
		case "avg":
			if len(s.values) == 0 {
				return 0, nil
			}
			sum := 0.0
			for _, v := range s.values {
				sum += v
			}
			return sum / float64(len(s.values)), nil
		case "min":
			return s.percentile(0), nil
		case "max":
			return s.percentile(100), nil
		case "med":
			return s.percentile(50), nil
		case "count":
			return s.count, nil
		}
		var p float64
		if _, err := fmt.Sscanf(method, "p(%g)", &p); err == nil {
			return s.percentile(p), nil
		}
	}
	return 0, fmt.Errorf("the aggregation method %q is not valid for a %s metric", method, t)
}

type submetric struct {
	name       string // the threshold key, e.g. http_req_duration{status:200}
	tags       map[string]string
	sink       sink
	thresholds []*threshold
}

type metric struct {
	name       string
	typ        metricType
	isTime     bool
	sink       sink
	submetrics []*submetric
	thresholds []*threshold
	announced  bool // the JSON output's Metric line was written
}

func (m *metric) contains() string {
	if m.isTime {
		return "time"
	}
	if m.name == "data_sent" || m.name == "data_received" {
		return "data"
	}
	return "default"
}

type sample struct {
	metric *metric
	time   time.Time
	value  float64
	tags   map[string]string
}

type engine struct {
	mu      sync.Mutex
	metrics map[string]*metric
	order   []*metric
	out     *jsonOutput // nil without --out json
	start   time.Time
	outErr  error
}

func newEngine() *engine {
	e := &engine{metrics: map[string]*metric{}, start: time.Now()}
	for _, b := range []struct {
		name   string
		typ    metricType
		isTime bool
	}{
		{"vus", gaugeType, false}, {"vus_max", gaugeType, false},
		{"iterations", counterType, false}, {"iteration_duration", trendType, true},
		{"data_sent", counterType, false}, {"data_received", counterType, false},
		{"checks", rateType, false}, {"group_duration", trendType, true},
		{"http_reqs", counterType, false}, {"http_req_failed", rateType, false},
		{"http_req_duration", trendType, true}, {"http_req_blocked", trendType, true},
		{"http_req_connecting", trendType, true}, {"http_req_tls_handshaking", trendType, true},
		{"http_req_sending", trendType, true}, {"http_req_waiting", trendType, true},
		{"http_req_receiving", trendType, true},
	} {
		if _, err := e.define(b.name, b.typ, b.isTime); err != nil {
			panic(err)
		}
	}
	return e
}

// define registers a metric or returns the existing one; a second definition with another type
// (or time-ness) is an error, as in k6's registry.
func (e *engine) define(name string, typ metricType, isTime bool) (*metric, error) {
	if !metricNameRE.MatchString(name) {
		return nil, fmt.Errorf("invalid metric name %q: it must match %s", name, metricNameRE)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if m, ok := e.metrics[name]; ok {
		if m.typ != typ || m.isTime != isTime {
			return nil, fmt.Errorf("metric %q already exists as a %s, it cannot be redefined as a %s", name, m.typ, typ)
		}
		return m, nil
	}
	m := &metric{name: name, typ: typ, isTime: isTime}
	e.metrics[name] = m
	e.order = append(e.order, m)
	return m, nil
}

func (e *engine) lookup(name string) *metric {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.metrics[name]
}

func (e *engine) push(samples ...sample) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range samples {
		m := s.metric
		m.sink.add(m.typ, s.value)
		for _, sub := range m.submetrics {
			if tagsMatch(sub.tags, s.tags) {
				sub.sink.add(m.typ, s.value)
			}
		}
		if e.out != nil {
			if err := e.out.write(m, s); err != nil && e.outErr == nil {
				e.outErr = err
			}
		}
	}
}

func tagsMatch(want, have map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// elapsed is the test run duration so far (counter rates divide by it).
func (e *engine) elapsed() time.Duration { return time.Since(e.start) }
