package main

// The modules k6, k6/metrics and k6/execution for one VU.

import (
	"crypto/md5" //nolint:gosec // k6 names groups by the md5 of their path; not a security use
	"encoding/hex"
	"math/rand"
	"sync"
	"time"

	"github.com/grafana/sobek"
)

// groupTree keeps root_group for the summary: groups and checks with their pass/fail counts.
type groupTree struct {
	mu    sync.Mutex
	root  *groupNode
	index map[string]*groupNode
}

type groupNode struct {
	name, path string
	groups     []*groupNode
	checks     []*checkNode
	checkIndex map[string]*checkNode
}

type checkNode struct {
	name, path    string
	passes, fails int
}

func groupID(path string) string {
	sum := md5.Sum([]byte(path)) //nolint:gosec // an identifier, as k6 computes it
	return hex.EncodeToString(sum[:])
}

func newGroupTree() *groupTree {
	root := &groupNode{checkIndex: map[string]*checkNode{}}
	return &groupTree{root: root, index: map[string]*groupNode{"": root}}
}

func (t *groupTree) group(parentPath, name string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	path := parentPath + "::" + name
	if _, ok := t.index[path]; !ok {
		n := &groupNode{name: name, path: path, checkIndex: map[string]*checkNode{}}
		parent := t.index[parentPath]
		parent.groups = append(parent.groups, n)
		t.index[path] = n
	}
	return path
}

func (t *groupTree) check(groupPath, name string, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.index[groupPath]
	c, found := g.checkIndex[name]
	if !found {
		c = &checkNode{name: name, path: groupPath + "::" + name}
		g.checkIndex[name] = c
		g.checks = append(g.checks, c)
	}
	if ok {
		c.passes++
	} else {
		c.fails++
	}
}

func (v *vu) k6Module() *sobek.Object {
	rt := v.rt
	o := rt.NewObject()
	must(o.Set("check", func(call sobek.FunctionCall) sobek.Value {
		val := call.Argument(0)
		checks, ok := call.Argument(1).(*sobek.Object)
		if !ok {
			v.throw("check() needs an object of checks as its second argument")
		}
		extra := exportTags(call.Argument(2))
		all := true
		for _, name := range checks.Keys() {
			c := checks.Get(name)
			passed := c.ToBoolean()
			if fn, isFn := sobek.AssertFunction(c); isFn {
				res, err := fn(sobek.Undefined(), val)
				if err != nil {
					panic(err)
				}
				passed = res.ToBoolean()
			}
			tags := v.tags()
			for k, val := range extra {
				tags[k] = val
			}
			tags["check"] = name
			value := 0.0
			if passed {
				value = 1
			} else {
				all = false
			}
			v.r.groups.check(v.groupPath, name, passed)
			v.push("checks", value, tags)
		}
		return rt.ToValue(all)
	}))
	must(o.Set("group", func(name string, fn sobek.Callable) sobek.Value {
		if v.inInit {
			v.throw("group() is not allowed in the init context")
		}
		parent := v.groupPath
		v.groupPath = v.r.groups.group(parent, name)
		start := time.Now()
		defer func() { v.groupPath = parent }()
		res, err := fn(sobek.Undefined())
		if err != nil {
			panic(err)
		}
		tags := v.tags()
		v.push("group_duration", ms(time.Since(start)), tags)
		return res
	}))
	must(o.Set("sleep", func(seconds float64) {
		if seconds <= 0 {
			return
		}
		t := time.NewTimer(time.Duration(seconds * float64(time.Second)))
		defer t.Stop()
		select {
		case <-t.C:
		case <-v.stop:
		}
	}))
	must(o.Set("fail", func(msg string) {
		e, err := rt.New(rt.GlobalObject().Get("Error"), rt.ToValue(msg))
		if err != nil {
			panic(err)
		}
		panic(e)
	}))
	must(o.Set("randomSeed", func(seed int64) {
		rt.SetRandSource(rand.New(rand.NewSource(seed)).Float64) //nolint:gosec // Math.random for scripts
	}))
	return o
}

func exportTags(val sobek.Value) map[string]string {
	out := map[string]string{}
	o, ok := val.(*sobek.Object)
	if !ok || val == nil {
		return out
	}
	for _, k := range o.Keys() {
		out[k] = o.Get(k).String()
	}
	return out
}

func (v *vu) metricsModule() *sobek.Object {
	rt := v.rt
	o := rt.NewObject()
	ctor := func(typ metricType) func(sobek.ConstructorCall) *sobek.Object {
		return func(call sobek.ConstructorCall) *sobek.Object {
			if !v.inInit {
				v.throw("metrics must be declared in the init context")
			}
			name := call.Argument(0).String()
			m, err := v.r.eng.define(name, typ, call.Argument(1).ToBoolean())
			if err != nil {
				panic(rt.NewGoError(err))
			}
			must(call.This.Set("name", name))
			must(call.This.Set("add", func(c sobek.FunctionCall) sobek.Value {
				if v.inInit {
					v.throw("metrics cannot be added to in the init context")
				}
				arg := c.Argument(0)
				value := arg.ToFloat()
				if b, isBool := arg.Export().(bool); isBool {
					value = 0
					if b {
						value = 1
					}
				}
				tags := v.tags()
				for k, val := range exportTags(c.Argument(1)) {
					tags[k] = val
				}
				v.r.eng.push(sample{metric: m, time: time.Now(), value: value, tags: tags})
				return rt.ToValue(true)
			}))
			return nil
		}
	}
	must(o.Set("Counter", ctor(counterType)))
	must(o.Set("Gauge", ctor(gaugeType)))
	must(o.Set("Rate", ctor(rateType)))
	must(o.Set("Trend", ctor(trendType)))
	return o
}

func getter(rt *sobek.Runtime, o *sobek.Object, name string, fn func() interface{}) {
	must(o.DefineAccessorProperty(name, rt.ToValue(func() interface{} { return fn() }), nil, sobek.FLAG_FALSE, sobek.FLAG_TRUE))
}

func (v *vu) executionModule() *sobek.Object {
	rt := v.rt
	r := v.r
	o := rt.NewObject()

	vuObj := rt.NewObject()
	getter(rt, vuObj, "idInInstance", func() interface{} { return v.id })
	getter(rt, vuObj, "idInTest", func() interface{} { return v.id })
	getter(rt, vuObj, "iterationInInstance", func() interface{} { return v.iterInInstance })
	getter(rt, vuObj, "iterationInScenario", func() interface{} { return v.iterInScenario })
	getter(rt, vuObj, "tags", func() interface{} {
		t := rt.NewObject()
		for k, val := range v.tags() {
			must(t.Set(k, val))
		}
		return t
	})
	must(o.Set("vu", vuObj))

	scen := rt.NewObject()
	need := func() *scenarioRun {
		if v.scen == nil {
			v.throw("exec.scenario is only available while a scenario runs (not in init, setup or teardown)")
		}
		return v.scen
	}
	getter(rt, scen, "name", func() interface{} { return need().def.Name })
	getter(rt, scen, "executor", func() interface{} { return need().def.Executor })
	getter(rt, scen, "startTime", func() interface{} { return need().start.UnixMilli() })
	getter(rt, scen, "progress", func() interface{} { return need().progress() })
	getter(rt, scen, "iterationInInstance", func() interface{} { return need().current(v) })
	getter(rt, scen, "iterationInTest", func() interface{} { return need().current(v) })
	must(o.Set("scenario", scen))

	inst := rt.NewObject()
	getter(rt, inst, "vusActive", func() interface{} { return r.vusActive.Load() })
	getter(rt, inst, "vusInitialized", func() interface{} { return r.vusMax })
	getter(rt, inst, "iterationsCompleted", func() interface{} { return r.iterationsCompleted.Load() })
	getter(rt, inst, "iterationsInterrupted", func() interface{} { return r.iterationsInterrupted.Load() })
	getter(rt, inst, "currentTestRunDuration", func() interface{} { return ms(r.eng.elapsed()) })
	must(o.Set("instance", inst))

	test := rt.NewObject()
	must(test.Set("abort", func(call sobek.FunctionCall) sobek.Value {
		msg := "test aborted"
		if len(call.Arguments) > 0 && !sobek.IsUndefined(call.Argument(0)) {
			msg = "test aborted: " + call.Argument(0).String()
		}
		r.abort(exitScriptAborted, msg)
		// An interrupt, not an exception: the script cannot catch it, as in k6.
		rt.Interrupt(errAbortCalled)
		return sobek.Undefined()
	}))
	getter(rt, test, "options", func() interface{} {
		val, err := v.jsonParse(r.optionsJSON)
		if err != nil {
			panic(err)
		}
		return val
	})
	must(o.Set("test", test))
	return o
}
