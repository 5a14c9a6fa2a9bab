package main

// The script's exported `options`, consolidated as k6 does for the parts the harness supports:
// scenarios (or the vus/duration/iterations shortcut), thresholds, summaryTrendStats,
// noCookiesReset, maxRedirects, tags.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// durationOption reads k6's duration values: a Go-style string ("30s", "1m30s") or milliseconds.
type durationOption time.Duration

func (d *durationOption) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if ms, err := strconv.ParseFloat(s, 64); err == nil {
			*d = durationOption(time.Duration(ms * float64(time.Millisecond)))
			return nil
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("invalid duration %q", s)
		}
		*d = durationOption(v)
		return nil
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("invalid duration %s", b)
	}
	*d = durationOption(time.Duration(ms * float64(time.Millisecond)))
	return nil
}

func (d durationOption) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

type scenario struct {
	Name         string            `json:"-"`
	Executor     string            `json:"executor"`
	VUs          *int              `json:"vus,omitempty"`
	Iterations   *int              `json:"iterations,omitempty"`
	Duration     *durationOption   `json:"duration,omitempty"`
	MaxDuration  *durationOption   `json:"maxDuration,omitempty"`
	GracefulStop *durationOption   `json:"gracefulStop,omitempty"`
	StartTime    *durationOption   `json:"startTime,omitempty"`
	Exec         string            `json:"exec,omitempty"`
	Env          map[string]string `json:"env,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
}

type options struct {
	VUs               *int                       `json:"vus,omitempty"`
	Iterations        *int                       `json:"iterations,omitempty"`
	Duration          *durationOption            `json:"duration,omitempty"`
	Scenarios         map[string]*scenario       `json:"scenarios,omitempty"`
	Thresholds        map[string]json.RawMessage `json:"thresholds,omitempty"`
	SummaryTrendStats []string                   `json:"summaryTrendStats,omitempty"`
	NoCookiesReset    bool                       `json:"noCookiesReset"`
	MaxRedirects      *int                       `json:"maxRedirects,omitempty"`
	Tags              map[string]string          `json:"tags,omitempty"`
	SetupTimeout      *durationOption            `json:"setupTimeout,omitempty"`
	TeardownTimeout   *durationOption            `json:"teardownTimeout,omitempty"`
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func durOr(p *durationOption, def time.Duration) time.Duration {
	if p == nil {
		return def
	}
	return time.Duration(*p)
}

func parseOptions(raw []byte) (*options, error) {
	o := &options{}
	if len(bytes.TrimSpace(raw)) > 0 && string(raw) != "null" {
		dec := json.NewDecoder(bytes.NewReader(raw))
		if err := dec.Decode(o); err != nil {
			return nil, fmt.Errorf("invalid options: %w", err)
		}
	}
	if len(o.SummaryTrendStats) == 0 {
		o.SummaryTrendStats = []string{"avg", "min", "med", "max", "p(90)", "p(95)"}
	}
	if o.MaxRedirects == nil {
		ten := 10
		o.MaxRedirects = &ten
	}
	if len(o.Scenarios) == 0 {
		// k6's shortcut options become one scenario named "default".
		vus := intOr(o.VUs, 1)
		s := &scenario{Executor: "per-vu-iterations", VUs: &vus}
		switch {
		case o.Iterations != nil:
			s.Executor = "shared-iterations"
			s.Iterations = o.Iterations
			s.MaxDuration = o.Duration
		case o.Duration != nil:
			s.Executor = "constant-vus"
			s.Duration = o.Duration
		default:
			one := 1
			s.Executor = "shared-iterations"
			s.Iterations = &one
		}
		o.Scenarios = map[string]*scenario{"default": s}
	}
	for name, s := range o.Scenarios {
		s.Name = name
		if s.Exec == "" {
			s.Exec = "default"
		}
		switch s.Executor {
		case "per-vu-iterations", "shared-iterations", "constant-vus":
		default:
			return nil, fmt.Errorf("scenario %q: executor %q is not supported by k6-harness (supported: per-vu-iterations, shared-iterations, constant-vus)", name, s.Executor)
		}
		if intOr(s.VUs, 1) < 1 {
			return nil, fmt.Errorf("scenario %q: vus must be at least 1", name)
		}
		if s.Executor == "constant-vus" && s.Duration == nil {
			return nil, fmt.Errorf("scenario %q: constant-vus needs a duration", name)
		}
		if s.Executor == "shared-iterations" && intOr(s.Iterations, 1) < intOr(s.VUs, 1) {
			return nil, fmt.Errorf("scenario %q: the number of iterations (%d) can't be less than the number of VUs (%d)", name, intOr(s.Iterations, 1), intOr(s.VUs, 1))
		}
	}
	return o, nil
}

// sortedScenarios gives a stable order (start time, then name) for VU numbering and output.
func (o *options) sortedScenarios() []*scenario {
	list := make([]*scenario, 0, len(o.Scenarios))
	for _, s := range o.Scenarios {
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := durOr(list[i].StartTime, 0), durOr(list[j].StartTime, 0)
		if a != b {
			return a < b
		}
		return strings.Compare(list[i].Name, list[j].Name) < 0
	})
	return list
}
