package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
)

// cpuProfileEnv names the file `maildesk run` writes a CPU profile to, for
// profiling the daemon under a real load (maildesk-bench's backlog) with
// `go tool pprof`. Opt-in and off by default: an environment variable
// rather than a flag, so the documented interface stays as it is and a
// benchmark can pass it to the process it starts.
const cpuProfileEnv = "MAILDESK_CPUPROFILE"

// startCPUProfile starts profiling when MAILDESK_CPUPROFILE is set; the
// returned function stops it and writes the file. It is called on a clean
// shutdown only: a killed daemon leaves an empty or truncated file.
func startCPUProfile(log *slog.Logger) (stop func(), err error) {
	path := os.Getenv(cpuProfileEnv)
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cpuProfileEnv, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: start cpu profile: %w", cpuProfileEnv, err)
	}
	log.Info("writing a cpu profile", "file", path)
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			log.Error("write cpu profile", "file", path, "err", err)
		}
	}, nil
}
