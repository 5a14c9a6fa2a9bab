module github.com/anypod/tools/k6-harness

go 1.26.0

// Sobek: the JavaScript engine k6 itself runs scripts in (MIT); a pseudo-version because it has no
// tags: the commit k6 master used when the harness was written, so our tests see k6's engine.
require (
	github.com/grafana/sobek v0.0.0-20260429085637-a66d4790012b
	golang.org/x/term v0.48.0
)

// Sobek: the JavaScript engine k6 itself runs scripts in (MIT); a pseudo-version because it has no
// tags: the commit k6 master used when the harness was written, so our tests see k6's engine.
require (
	github.com/dlclark/regexp2 v1.12.0 // indirect
	github.com/go-sourcemap/sourcemap v2.1.4+incompatible // indirect
	github.com/google/pprof v0.0.0-20230207041349-798e818bf904 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.3.8 // indirect
)
