package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildInfo is what the binary knows of its own build: the module version
// ("(devel)" for a build from a checkout), the VCS revision and time with
// "+dirty" for uncommitted changes, and the Go version.
type buildInfo struct {
	Version, Revision, Time, Go string
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: "(unknown)", Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && b.Revision != "" {
		b.Revision += "+dirty"
	}
	return b
}

func (b buildInfo) String() string {
	s := "maildesk " + b.Version
	if b.Revision != "" {
		s += " " + b.Revision
	}
	if b.Time != "" {
		s += " " + b.Time
	}
	return s + " " + b.Go
}

func printVersion(w io.Writer) error {
	_, err := fmt.Fprintln(w, readBuildInfo())
	return err
}
