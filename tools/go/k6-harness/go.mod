module github.com/anypod/tools/k6-harness

go 1.26.0

// Sobek (MIT): the JavaScript engine k6 runs scripts in, so the tests execute the bundles in the
// engine users run them in. It has no release tags (k6 pins it by pseudo-version too): the newest
// commit when the harness was written. x/term: only to tell handleSummary whether stdout is a TTY.
require (
	github.com/grafana/sobek v0.0.0-20260429085637-a66d4790012b
	golang.org/x/term v0.48.0
)

require (
	github.com/dlclark/regexp2 v1.12.0 // indirect
	github.com/go-sourcemap/sourcemap v2.1.4+incompatible // indirect
	github.com/google/pprof v0.0.0-20230207041349-798e818bf904 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.3.8 // indirect
)
