package main

// --out json (k6's NDJSON lines), the handleSummary data object and the default text summary.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/grafana/sobek"
	"golang.org/x/term"
)

type jsonOutput struct {
	f *os.File
	w *bufio.Writer
}

func newJSONOutput(path string) (*jsonOutput, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &jsonOutput{f: f, w: bufio.NewWriter(f)}, nil
}

type jsonMetricData struct {
	Type       metricType  `json:"type"`
	Contains   string      `json:"contains"`
	Tainted    interface{} `json:"tainted"`
	Thresholds []string    `json:"thresholds"`
	Submetrics interface{} `json:"submetrics"`
}

type jsonPointData struct {
	Time  string            `json:"time"`
	Value float64           `json:"value"`
	Tags  map[string]string `json:"tags"`
}

type jsonLine struct {
	Type   string      `json:"type"`
	Data   interface{} `json:"data"`
	Metric string      `json:"metric"`
}

// write is called with the engine lock held.
func (o *jsonOutput) write(m *metric, s sample) error {
	enc := json.NewEncoder(o.w)
	if !m.announced {
		m.announced = true
		ths := []string{}
		for _, t := range m.thresholds {
			ths = append(ths, t.source)
		}
		var subs interface{}
		if len(m.submetrics) > 0 {
			list := []map[string]interface{}{}
			for _, sub := range m.submetrics {
				list = append(list, map[string]interface{}{"name": sub.name, "suffix": strings.TrimPrefix(sub.name, m.name), "tags": sub.tags})
			}
			subs = list
		}
		if err := enc.Encode(jsonLine{Type: "Metric", Metric: m.name, Data: jsonMetricData{Type: m.typ, Contains: m.contains(), Thresholds: ths, Submetrics: subs}}); err != nil {
			return err
		}
	}
	tags := s.tags
	if len(tags) == 0 {
		tags = nil
	}
	return enc.Encode(jsonLine{Type: "Point", Metric: m.name, Data: jsonPointData{Time: s.time.Format("2006-01-02T15:04:05.999999999Z07:00"), Value: s.value, Tags: tags}})
}

func (o *jsonOutput) close() error {
	if err := o.w.Flush(); err != nil {
		return err
	}
	return o.f.Close()
}

// metricValues gives k6's summary values of a sink for its type.
func (r *runner) metricValues(typ metricType, s *sink) map[string]float64 {
	elapsed := r.eng.elapsed()
	vals := map[string]float64{}
	get := func(method string) float64 { v, _ := s.aggregate(typ, method, elapsed); return v }
	switch typ {
	case counterType:
		vals["count"], vals["rate"] = get("count"), get("rate")
	case gaugeType:
		vals["value"], vals["min"], vals["max"] = get("value"), get("min"), get("max")
	case rateType:
		vals["rate"], vals["passes"], vals["fails"] = get("rate"), s.nonZero, s.count-s.nonZero
	case trendType:
		for _, stat := range r.opts.SummaryTrendStats {
			if stat == "count" {
				vals["count"] = s.count
				continue
			}
			vals[stat] = get(stat)
		}
	}
	return vals
}

func (r *runner) summaryData() map[string]interface{} {
	r.eng.mu.Lock()
	defer r.eng.mu.Unlock()
	metrics := map[string]interface{}{}
	entry := func(m *metric, s *sink, ths []*threshold) map[string]interface{} {
		e := map[string]interface{}{"type": m.typ, "contains": m.contains(), "values": r.metricValues(m.typ, s)}
		if len(ths) > 0 {
			t := map[string]interface{}{}
			for _, th := range ths {
				t[th.source] = map[string]bool{"ok": th.ok}
			}
			e["thresholds"] = t
		}
		return e
	}
	for _, m := range r.eng.order {
		// k6 lists the metrics that saw samples, and those with thresholds.
		if m.sink.n > 0 || len(m.thresholds) > 0 {
			metrics[m.name] = entry(m, &m.sink, m.thresholds)
		}
		for _, sub := range m.submetrics {
			metrics[sub.name] = entry(m, &sub.sink, sub.thresholds)
		}
	}
	return map[string]interface{}{
		"metrics":    metrics,
		"root_group": r.groups.export(),
		"options": map[string]interface{}{
			"summaryTrendStats": r.opts.SummaryTrendStats,
			"summaryTimeUnit":   "",
			"noColor":           false,
		},
		"state": map[string]interface{}{
			"isStdOutTTY":       term.IsTerminal(int(os.Stdout.Fd())),
			"isStdErrTTY":       term.IsTerminal(int(os.Stderr.Fd())),
			"testRunDurationMs": ms(r.eng.elapsed()),
		},
	}
}

func (t *groupTree) export() map[string]interface{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	var walk func(g *groupNode) map[string]interface{}
	walk = func(g *groupNode) map[string]interface{} {
		groups := []interface{}{}
		for _, c := range g.groups {
			groups = append(groups, walk(c))
		}
		checks := []interface{}{}
		for _, c := range g.checks {
			checks = append(checks, map[string]interface{}{"name": c.name, "path": c.path, "id": groupID(c.path), "passes": c.passes, "fails": c.fails})
		}
		return map[string]interface{}{"name": g.name, "path": g.path, "id": groupID(g.path), "groups": groups, "checks": checks}
	}
	return walk(t.root)
}

// summary calls handleSummary when exported (writing each returned key), else prints text.
func (r *runner) summary(v0 *vu) error {
	data := r.summaryData()
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if v0.exported("handleSummary") != nil {
		arg, err := v0.jsonParse(string(raw))
		if err != nil {
			return err
		}
		res, _, err := r.callLifecycle(v0, "handleSummary", 60*1e9, arg)
		if err == nil {
			return r.writeSummary(v0, res)
		}
		r.logf("ERRO", "%v; falling back to the default summary", err)
	}
	fmt.Print(r.textSummary(data))
	return nil
}

func (r *runner) writeSummary(v0 *vu, res sobek.Value) error {
	o, ok := res.(*sobek.Object)
	if !ok {
		return fmt.Errorf("handleSummary() must return an object of outputs")
	}
	// Like k6: every output is tried, the failures are reported together, and a file goes only into
	// a folder that exists (k6 opens it with O_CREATE and makes no folders).
	var failed []string
	for _, key := range o.Keys() {
		val := o.Get(key)
		text := val.String()
		if _, isObj := val.(*sobek.Object); isObj && val.ExportType().Kind().String() == "map" {
			s, err := v0.jsonStringify(val)
			if err != nil {
				return err
			}
			text = s
		}
		switch key {
		case "stdout":
			fmt.Print(text)
		case "stderr":
			fmt.Fprint(os.Stderr, text)
		default:
			if err := os.WriteFile(key, []byte(text), 0o644); err != nil {
				failed = append(failed, fmt.Sprintf("could not open '%s': %v", key, err))
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("failed to handle the end-of-test summary: %s", strings.Join(failed, "; "))
	}
	return nil
}

func (r *runner) textSummary(data map[string]interface{}) string {
	var b strings.Builder
	metrics := data["metrics"].(map[string]interface{})
	names := make([]string, 0, len(metrics))
	for n := range metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	b.WriteString("\n  k6-harness summary\n\n")
	for _, n := range names {
		e := metrics[n].(map[string]interface{})
		vals := e["values"].(map[string]float64)
		keys := make([]string, 0, len(vals))
		for k := range vals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s=%.6g", k, vals[k]))
		}
		mark := " "
		if ths, ok := e["thresholds"].(map[string]interface{}); ok {
			mark = "✓"
			for _, t := range ths {
				if !t.(map[string]bool)["ok"] {
					mark = "✗"
				}
			}
		}
		fmt.Fprintf(&b, "  %s %-40s %s\n", mark, n, strings.Join(parts, " "))
		if ths, ok := e["thresholds"].(map[string]interface{}); ok {
			srcs := make([]string, 0, len(ths))
			for s := range ths {
				srcs = append(srcs, s)
			}
			sort.Strings(srcs)
			for _, s := range srcs {
				m := "✓"
				if !ths[s].(map[string]bool)["ok"] {
					m = "✗"
				}
				fmt.Fprintf(&b, "      %s %s\n", m, s)
			}
		}
	}
	return b.String()
}
