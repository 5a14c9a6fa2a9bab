package main

// The run: init VUs, setup, the scenarios with their executors and graceful stops, teardown,
// thresholds, summary. Exit codes are k6's.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/sobek"
)

const (
	exitOK              = 0
	exitThresholds      = 99
	exitSetupTimeout    = 100
	exitInvalidConfig   = 104
	exitExternalAbort   = 105
	exitScriptException = 107
	exitScriptAborted   = 108
	exitThresholdsAbort = 99
)

var (
	errAbortCalled = errors.New("test aborted by the script")
	errHardStop    = errors.New("graceful stop ended")
)

type runner struct {
	prog        *program
	opts        *options
	optionsJSON string
	env         map[string]string
	eng         *engine
	groups      *groupTree
	quiet       bool

	vusActive             atomic.Int64
	vusMax                int
	iterationsCompleted   atomic.Int64
	iterationsInterrupted atomic.Int64

	abortOnce sync.Once
	aborted   chan struct{}
	abortCode int
	abortMsg  string

	logMu sync.Mutex
}

func (r *runner) logf(level, format string, args ...interface{}) {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	fmt.Fprintf(os.Stderr, "%s[%04d] %s\n", level, int(r.eng.elapsed().Seconds()), fmt.Sprintf(format, args...))
}

// abort stops the whole run once (exec.test.abort, an abortOnFail threshold, a signal).
func (r *runner) abort(code int, msg string) {
	r.abortOnce.Do(func() {
		r.abortCode, r.abortMsg = code, msg
		close(r.aborted)
	})
}

func (r *runner) isAborted() bool {
	select {
	case <-r.aborted:
		return true
	default:
		return false
	}
}

type scenarioRun struct {
	def      *scenario
	start    time.Time
	started  atomic.Int64 // iterations started (shared-iterations hands them out from here)
	numbered atomic.Int64 // iterations begun by any VU: each gets the next scenario-wide number
	progress func() float64
}

// current is the scenario-wide number of the iteration the VU runs now (unique across its VUs).
func (s *scenarioRun) current(v *vu) int64 { return v.iterInTest }

// runScenario runs one scenario's VUs to the end of its executor, then its graceful stop.
func (r *runner) runScenario(s *scenarioRun, vus []*vu, setupJSON string) {
	def := s.def
	total := intOr(def.Iterations, 1)
	var deadline time.Duration
	switch def.Executor {
	case "constant-vus":
		deadline = durOr(def.Duration, 0)
	default:
		deadline = durOr(def.MaxDuration, 10*time.Minute)
	}
	graceful := durOr(def.GracefulStop, 30*time.Second)
	s.start = time.Now()
	s.progress = func() float64 {
		if def.Executor == "constant-vus" || total == 0 {
			return minf(1, float64(time.Since(s.start))/float64(deadline))
		}
		done := float64(s.started.Load()) / float64(total*intOrPerVU(def))
		return minf(1, done)
	}
	noMore := make(chan struct{}) // the executor's time is up: start no new iteration
	hard := make(chan struct{})   // graceful stop over (or abort): interrupt running ones
	var wg sync.WaitGroup
	for i, v := range vus {
		wg.Add(1)
		v.scen = s
		v.stop = hard
		v.env = v.envObject(def.Env)
		must(v.rt.GlobalObject().Set("__ENV", v.env))
		go func(v *vu, index int) {
			defer wg.Done()
			r.vusActive.Add(1)
			defer r.vusActive.Add(-1)
			for n := 0; ; n++ {
				select {
				case <-noMore:
					return
				case <-r.aborted:
					return
				default:
				}
				switch def.Executor {
				case "per-vu-iterations":
					if n >= total {
						return
					}
				case "shared-iterations":
					if s.started.Add(1) > int64(total) {
						return
					}
				}
				if def.Executor != "shared-iterations" {
					s.started.Add(1)
				}
				r.iteration(v, def.Exec, setupJSON)
			}
		}(v, i)
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	interruptAll := func() {
		close(hard)
		for _, v := range vus {
			v.rt.Interrupt(errHardStop)
		}
		<-finished
	}
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	select {
	case <-finished:
		return
	case <-r.aborted:
		close(noMore)
		interruptAll()
		return
	case <-timer.C:
	}
	close(noMore)
	grace := time.NewTimer(graceful)
	defer grace.Stop()
	select {
	case <-finished:
	case <-grace.C:
		interruptAll()
	case <-r.aborted:
		interruptAll()
	}
}

func intOrPerVU(def *scenario) int {
	if def.Executor == "per-vu-iterations" {
		return intOr(def.VUs, 1)
	}
	return 1
}

func minf(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

// iteration runs one call of the scenario's function; an exception is logged and ends only this
// iteration; an interrupted one is not counted.
func (r *runner) iteration(v *vu, exec, setupJSON string) {
	fn := v.exported(exec)
	v.iterInTest = v.scen.numbered.Add(1) - 1
	must(v.rt.GlobalObject().Set("__ITER", v.iterInScenario))
	if !r.opts.NoCookiesReset {
		v.http.jar = newJSJar()
	}
	v.groupPath = ""
	start := time.Now()
	arg := sobek.Undefined()
	var err error
	if setupJSON != "" {
		arg, err = v.jsonParse(setupJSON)
	}
	if err == nil {
		if fn == nil {
			err = fmt.Errorf("the script exports no function %q for scenario %s", exec, v.scen.def.Name)
		} else {
			_, err = fn(sobek.Undefined(), arg)
		}
	}
	var interrupted *sobek.InterruptedError
	if errors.As(err, &interrupted) {
		v.rt.ClearInterrupt()
		r.iterationsInterrupted.Add(1)
		v.iterInScenario++
		v.iterInInstance++
		return
	}
	if err != nil {
		r.logf("ERRO", "%s vu=%d iter=%d scenario=%s", errorText(err), v.id, v.iterInScenario, v.scen.def.Name)
	}
	tags := v.tags()
	tags["group"] = ""
	v.push("iteration_duration", ms(time.Since(start)), tags)
	v.push("iterations", 1, tags)
	r.iterationsCompleted.Add(1)
	v.iterInScenario++
	v.iterInInstance++
}

// callLifecycle runs setup/teardown/handleSummary in the VU-0 runtime.
func (r *runner) callLifecycle(v *vu, name string, timeout time.Duration, args ...sobek.Value) (sobek.Value, bool, error) {
	fn := v.exported(name)
	if fn == nil {
		return nil, false, nil
	}
	timer := time.AfterFunc(timeout, func() { v.rt.Interrupt(fmt.Errorf("%s() execution timed out after %s", name, timeout)) })
	defer timer.Stop()
	res, err := fn(sobek.Undefined(), args...)
	if err != nil {
		v.rt.ClearInterrupt()
		return nil, true, &scriptError{where: name, err: errorText(err)}
	}
	return res, true, nil
}

// run is the whole test; it returns the exit code.
func (r *runner) run(signals <-chan os.Signal) int {
	// The init context once for options, like k6; this runtime later runs setup and teardown.
	v0, err := r.newVU(0)
	if err != nil {
		r.logf("ERRO", "%v", err)
		return exitScriptException
	}
	var raw string
	if opt := v0.exports.Get("options"); opt != nil && !sobek.IsUndefined(opt) {
		if raw, err = v0.jsonStringify(opt); err != nil {
			r.logf("ERRO", "cannot read options: %v", errorText(err))
			return exitScriptException
		}
	}
	if r.opts, err = parseOptions([]byte(raw)); err != nil {
		r.logf("ERRO", "%v", err)
		return exitInvalidConfig
	}
	if err := r.eng.attachThresholds(r.opts.Thresholds); err != nil {
		r.logf("ERRO", "%v", err)
		return exitInvalidConfig
	}
	r.optionsJSON = r.consolidatedOptions()

	scenarios := r.opts.sortedScenarios()
	perScenario := map[*scenario][]*vu{}
	id := 0
	for _, s := range scenarios {
		for i := 0; i < intOr(s.VUs, 1); i++ {
			id++
			v, err := r.newVU(id)
			if err != nil {
				r.logf("ERRO", "VU %d: %v", id, err)
				return exitScriptException
			}
			perScenario[s] = append(perScenario[s], v)
		}
	}
	r.vusMax = id
	r.eng.start = time.Now()

	stopTicker := r.startBackground(signals)
	defer stopTicker()

	// setup(): once; its result is copied into each VU as JSON, as k6 does.
	setupJSON := ""
	res, _, err := r.callLifecycle(v0, "setup", durOr(r.opts.SetupTimeout, 60*time.Second))
	if err != nil {
		r.logf("ERRO", "%v", err)
		r.abort(exitScriptException, "setup failed")
		return r.finish(v0, "", false)
	}
	if res != nil {
		if setupJSON, err = v0.jsonStringify(res); err != nil {
			r.logf("ERRO", "setup() returned data that is not JSON: %v", errorText(err))
			return exitScriptException
		}
	}
	if !r.isAborted() {
		var wg sync.WaitGroup
		for _, s := range scenarios {
			wg.Add(1)
			go func(s *scenario) {
				defer wg.Done()
				if delay := durOr(s.StartTime, 0); delay > 0 {
					select {
					case <-time.After(delay):
					case <-r.aborted:
						return
					}
				}
				r.runScenario(&scenarioRun{def: s}, perScenario[s], setupJSON)
			}(s)
		}
		wg.Wait()
	}
	return r.finish(v0, setupJSON, true)
}

// finish runs teardown (unless setup failed), thresholds and the summary, and picks the exit code.
func (r *runner) finish(v0 *vu, setupJSON string, teardown bool) int {
	code := exitOK
	if teardown {
		arg := sobek.Undefined()
		if setupJSON != "" {
			arg, _ = v0.jsonParse(setupJSON)
		}
		if _, _, err := r.callLifecycle(v0, "teardown", durOr(r.opts.TeardownTimeout, 60*time.Second), arg); err != nil {
			r.logf("ERRO", "%v", err)
			code = exitScriptException
		}
	}
	breached, _ := r.eng.evaluate(true)
	if err := r.summary(v0); err != nil {
		r.logf("ERRO", "%v", err)
	}
	if r.eng.out != nil {
		if err := r.eng.out.close(); err != nil {
			r.logf("ERRO", "--out json: %v", err)
		}
	}
	if r.isAborted() {
		r.logf("ERRO", "%s", r.abortMsg)
		return r.abortCode
	}
	if code != exitOK {
		return code
	}
	if len(breached) > 0 {
		r.logf("ERRO", "thresholds on metrics have been crossed: %s", strings.Join(breached, "; "))
		return exitThresholds
	}
	return exitOK
}

// startBackground samples vus/vus_max each second, evaluates abortOnFail thresholds every 2 s,
// prints progress, and turns SIGINT/SIGTERM into an external abort.
func (r *runner) startBackground(signals <-chan os.Signal) func() {
	done := make(chan struct{})
	go func() {
		second := time.NewTicker(time.Second)
		defer second.Stop()
		ticks := 0
		vusM := r.eng.lookup("vus")
		maxM := r.eng.lookup("vus_max")
		sampleVUs := func() {
			now := time.Now()
			r.eng.push(sample{metric: vusM, time: now, value: float64(r.vusActive.Load()), tags: map[string]string{}},
				sample{metric: maxM, time: now, value: float64(r.vusMax), tags: map[string]string{}})
		}
		sampleVUs()
		for {
			select {
			case <-done:
				return
			case sig := <-signals:
				r.logf("WARN", "received %v: stopping the test (send it again to exit at once)", sig)
				r.abort(exitExternalAbort, "test run aborted by signal")
				go func() {
					<-signals
					os.Exit(exitExternalAbort)
				}()
			case <-second.C:
				ticks++
				sampleVUs()
				if ticks%2 == 0 {
					if breached, abort := r.eng.evaluate(false); abort {
						r.abort(exitThresholdsAbort, "thresholds on metrics have been crossed (abortOnFail): "+strings.Join(breached, "; "))
					}
				}
				if !r.quiet && ticks%3 == 0 {
					r.logMu.Lock()
					names := []string{}
					for _, s := range r.opts.sortedScenarios() {
						names = append(names, s.Name+" ("+s.Executor+")")
					}
					fmt.Fprintf(os.Stderr, "running (%s), scenarios %s, %d/%d VUs, %d complete and %d interrupted iterations\n",
						r.eng.elapsed().Round(time.Second), strings.Join(names, ", "), r.vusActive.Load(), r.vusMax,
						r.iterationsCompleted.Load(), r.iterationsInterrupted.Load())
					r.logMu.Unlock()
				}
			}
		}
	}()
	return func() { close(done) }
}

// consolidatedOptions is what exec.test.options shows: the options after defaults.
func (r *runner) consolidatedOptions() string {
	b, err := json.Marshal(r.opts)
	if err != nil {
		return "{}"
	}
	return string(b)
}
