// Command k6-harness runs the project's bundled k6 scripts in Sobek, the JavaScript engine k6
// uses, with k6's semantics for the parts the scripts use. It is a test tool, not a k6 for users:
//
//	k6-harness run [-e KEY=VALUE]... [--out json=FILE] [--quiet] <bundle.js>
//
// Exit codes follow k6: 0 ok, 99 thresholds failed, 104 invalid options, 105 stopped by a
// signal, 107 script exception, 108 exec.test.abort().
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `usage: k6-harness run [-e KEY=VALUE]... [--out json=FILE] [--quiet] <bundle.js>`

func main() {
	os.Exit(realMain(os.Args[1:]))
}

func realMain(args []string) int {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	var script, jsonPath string
	quiet := false
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		next := func() (string, bool) {
			if i+1 >= len(rest) {
				return "", false
			}
			i++
			return rest[i], true
		}
		switch {
		case a == "-e" || a == "--env":
			kv, ok := next()
			k, v, hasEq := strings.Cut(kv, "=")
			if !ok || !hasEq || k == "" {
				fmt.Fprintf(os.Stderr, "k6-harness: %s needs KEY=VALUE\n%s\n", a, usage)
				return 2
			}
			env[k] = v
		case a == "--out" || a == "-o" || strings.HasPrefix(a, "--out="):
			val := strings.TrimPrefix(a, "--out=")
			if val == a {
				var ok bool
				if val, ok = next(); !ok {
					fmt.Fprintf(os.Stderr, "k6-harness: --out needs json=FILE\n%s\n", usage)
					return 2
				}
			}
			path, ok := strings.CutPrefix(val, "json=")
			if !ok || path == "" {
				fmt.Fprintf(os.Stderr, "k6-harness: only --out json=FILE is supported, got %q\n", val)
				return 2
			}
			jsonPath = path
		case a == "--quiet" || a == "-q":
			quiet = true
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(os.Stderr, "k6-harness: unknown flag %s\n%s\n", a, usage)
			return 2
		default:
			if script != "" {
				fmt.Fprintf(os.Stderr, "k6-harness: one script only (got %s and %s)\n", script, a)
				return 2
			}
			script = a
		}
	}
	if script == "" {
		fmt.Fprintf(os.Stderr, "k6-harness: no script given\n%s\n", usage)
		return 2
	}
	if _, err := os.Stat(script); err != nil {
		fmt.Fprintf(os.Stderr, "k6-harness: the script %s cannot be read: %v\n", script, err)
		return exitScriptException
	}
	r := &runner{env: env, eng: newEngine(), groups: newGroupTree(), quiet: quiet, aborted: make(chan struct{}), opts: &options{}}
	prog, err := loadProgram(script)
	if err != nil {
		fmt.Fprintf(os.Stderr, "k6-harness: %v\n", err)
		if errors.Is(err, errUnknownImport) {
			return exitScriptException
		}
		return exitScriptException
	}
	r.prog = prog
	if jsonPath != "" {
		out, err := newJSONOutput(jsonPath)
		if err != nil {
			fmt.Fprintf(os.Stderr, "k6-harness: --out json=%s: %v\n", jsonPath, err)
			return 2
		}
		r.eng.out = out
	}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	return r.run(signals)
}
