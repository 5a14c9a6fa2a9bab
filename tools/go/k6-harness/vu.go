package main

// One Sobek runtime per virtual user, each evaluating the bundle as an ES module on its own, so
// module-scope state is per VU as in k6. The k6 modules are native Go objects; each is exposed to
// the bundle through a tiny ES module (a "shim") whose named exports read that VU's object, which
// keeps the module linking in Sobek's hands (ParseModule, Link, Evaluate) without a custom record.

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/grafana/sobek"
)

// nativeExports names the named exports of each supported module; the default export is the
// whole module object.
var nativeExports = map[string][]string{
	"k6":           {"check", "group", "sleep", "fail", "randomSeed"},
	"k6/http":      {"request", "get", "post", "put", "patch", "del", "head", "options", "expectedStatuses", "setResponseCallback", "CookieJar", "cookieJar"},
	"k6/metrics":   {"Counter", "Gauge", "Rate", "Trend"},
	"k6/execution": {"vu", "scenario", "instance", "test"},
}

const nativeHook = "__k6harness_native"

// errUnknownImport marks a bundle importing something the harness does not provide (exit 107).
var errUnknownImport = errors.New("unknown import")

type program struct {
	bundle *sobek.SourceTextModuleRecord
}

func loadProgram(path string) (*program, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the script: %w", err)
	}
	shims := map[string]*sobek.SourceTextModuleRecord{}
	for name, exports := range nativeExports {
		var b strings.Builder
		fmt.Fprintf(&b, "const m = globalThis.%s(%q);\nexport default m;\n", nativeHook, name)
		for _, e := range exports {
			fmt.Fprintf(&b, "export const %s = m.%s;\n", e, e)
		}
		rec, err := sobek.ParseModule(name, b.String(), nil)
		if err != nil {
			return nil, fmt.Errorf("internal: shim for %s: %w", name, err)
		}
		shims[name] = rec
	}
	resolve := func(_ interface{}, specifier string) (sobek.ModuleRecord, error) {
		if rec, ok := shims[specifier]; ok {
			return rec, nil
		}
		known := make([]string, 0, len(shims))
		for k := range shims {
			known = append(known, k)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("%w %q: k6-harness provides only %s (bundle everything else into the script)", errUnknownImport, specifier, strings.Join(known, ", "))
	}
	rec, err := sobek.ParseModule(path, string(src), resolve)
	if err != nil {
		return nil, fmt.Errorf("cannot parse %s as an ES module: %w", path, err)
	}
	if err := rec.Link(); err != nil {
		return nil, err
	}
	return &program{bundle: rec}, nil
}

type vu struct {
	r       *runner
	id      int // idInTest; 0 for the options/setup/teardown runtime
	rt      *sobek.Runtime
	exports *sobek.Object
	inInit  bool

	scen           *scenarioRun
	iterInScenario int64
	iterInInstance int64
	iterInTest     int64 // the scenario-wide number of the iteration running now (exec.scenario.iterationInTest)
	groupPath      string
	env            *sobek.Object

	http *vuHTTP
	// stop ends sleeps early when the scenario's graceful stop is over.
	stop <-chan struct{}
}

func (r *runner) newVU(id int) (*vu, error) {
	v := &vu{r: r, id: id, rt: sobek.New()}
	v.rt.SetFieldNameMapper(sobek.UncapFieldNameMapper())
	v.http = newVUHTTP(v)
	natives := map[string]*sobek.Object{
		"k6":           v.k6Module(),
		"k6/http":      v.httpModule(),
		"k6/metrics":   v.metricsModule(),
		"k6/execution": v.executionModule(),
	}
	g := v.rt.GlobalObject()
	must(g.Set(nativeHook, func(name string) *sobek.Object { return natives[name] }))
	v.env = v.envObject(nil)
	must(g.Set("__ENV", v.env))
	must(g.Set("__VU", id))
	must(g.Set("__ITER", 0))
	must(g.Set("console", v.console()))

	v.inInit = true
	promise := v.r.prog.bundle.Evaluate(v.rt)
	v.inInit = false
	_ = g.Delete(nativeHook)
	switch promise.State() {
	case sobek.PromiseStateRejected:
		return nil, &scriptError{where: "init", err: jsErrorText(promise.Result())}
	case sobek.PromiseStatePending:
		return nil, &scriptError{where: "init", err: "top-level await is not supported by k6-harness"}
	}
	v.exports = v.rt.NamespaceObjectFor(v.r.prog.bundle)
	return v, nil
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// scriptError is an uncaught exception in init, setup, teardown or handleSummary (exit 107).
type scriptError struct {
	where string
	err   string
}

func (e *scriptError) Error() string { return fmt.Sprintf("%s: %s", e.where, e.err) }

func jsErrorText(v sobek.Value) string {
	if v == nil {
		return "undefined"
	}
	if o, ok := v.(*sobek.Object); ok {
		if stack := o.Get("stack"); stack != nil && !sobek.IsUndefined(stack) {
			return stack.String()
		}
	}
	return v.String()
}

func errorText(err error) string {
	var ex *sobek.Exception
	if errors.As(err, &ex) {
		return ex.String()
	}
	return err.Error()
}

func (v *vu) envObject(overlay map[string]string) *sobek.Object {
	o := v.rt.NewObject()
	for k, val := range v.r.env {
		must(o.Set(k, val))
	}
	for k, val := range overlay {
		must(o.Set(k, val))
	}
	return o
}

// exported returns an exported function of the bundle, or nil.
func (v *vu) exported(name string) sobek.Callable {
	if v.exports == nil {
		return nil
	}
	fn, ok := sobek.AssertFunction(v.exports.Get(name))
	if !ok {
		return nil
	}
	return fn
}

func (v *vu) jsonParse(text string) (sobek.Value, error) {
	parse, _ := sobek.AssertFunction(v.rt.GlobalObject().Get("JSON").ToObject(v.rt).Get("parse"))
	return parse(sobek.Undefined(), v.rt.ToValue(text))
}

func (v *vu) jsonStringify(val sobek.Value) (string, error) {
	if val == nil || sobek.IsUndefined(val) {
		return "", nil
	}
	stringify, _ := sobek.AssertFunction(v.rt.GlobalObject().Get("JSON").ToObject(v.rt).Get("stringify"))
	out, err := stringify(sobek.Undefined(), val)
	if err != nil {
		return "", err
	}
	if sobek.IsUndefined(out) {
		return "", nil
	}
	return out.String(), nil
}

func (v *vu) throw(format string, args ...interface{}) {
	panic(v.rt.NewGoError(fmt.Errorf(format, args...)))
}

// console writes to stderr with k6's level words, tagged with the VU.
func (v *vu) console() *sobek.Object {
	o := v.rt.NewObject()
	logAt := func(level string) func(sobek.FunctionCall) sobek.Value {
		return func(call sobek.FunctionCall) sobek.Value {
			parts := make([]string, 0, len(call.Arguments))
			for _, a := range call.Arguments {
				parts = append(parts, v.formatValue(a))
			}
			v.r.logf(level, "%s source=console vu=%d", strings.Join(parts, " "), v.id)
			return sobek.Undefined()
		}
	}
	must(o.Set("log", logAt("INFO")))
	must(o.Set("info", logAt("INFO")))
	must(o.Set("debug", logAt("DEBU")))
	must(o.Set("warn", logAt("WARN")))
	must(o.Set("error", logAt("ERRO")))
	return o
}

func (v *vu) formatValue(a sobek.Value) string {
	if o, ok := a.(*sobek.Object); ok {
		if _, isFn := sobek.AssertFunction(a); !isFn && o.ClassName() != "Error" {
			if s, err := v.jsonStringify(a); err == nil && s != "" {
				return s
			}
		}
	}
	return a.String()
}

// tags are the tags every sample of this VU carries now: options.tags, the scenario's, and
// the scenario and group names.
func (v *vu) tags() map[string]string {
	t := map[string]string{}
	for k, val := range v.r.opts.Tags {
		t[k] = val
	}
	if v.scen != nil {
		for k, val := range v.scen.def.Tags {
			t[k] = val
		}
		t["scenario"] = v.scen.def.Name
	}
	t["group"] = v.groupPath
	return t
}

func (v *vu) push(name string, value float64, tags map[string]string) {
	m := v.r.eng.lookup(name)
	v.r.eng.push(sample{metric: m, time: time.Now(), value: value, tags: tags})
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

var _ = atomic.Int64{}
var _ = http.MethodGet
