package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// exampleUnit is the systemd unit operators install (docs/operations.md).
const exampleUnit = "../../examples/maildesk.service"

// TestExampleUnitVerifies runs `systemd-analyze verify` on the example
// unit. It skips where systemd-analyze is missing, except under CI, which
// installs Debian's systemd package for it (.ci/run). verify needs
// ExecStart's binary to exist: the copy names this test's own executable
// in its place (the path is all verify checks of it; the arguments are
// checked against the CLI below).
func TestExampleUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must verify the example unit: %v (apt-get install systemd)", err)
		}
		t.Skip(err)
	}
	unit, err := os.ReadFile(exampleUnit)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const bin = "/usr/local/bin/maildesk"
	if !strings.Contains(string(unit), "ExecStart="+bin+" ") {
		t.Fatalf("%s: no ExecStart=%s", exampleUnit, bin)
	}
	path := filepath.Join(t.TempDir(), "maildesk.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), bin, self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	// verify exits 0 on an unknown or misspelt key, only warning of it:
	// any line about the unit is a failure too.
	var problems []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "maildesk") {
			problems = append(problems, line)
		}
	}
	if err != nil || len(problems) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestExampleUnitCommand: the unit's ExecStart is a command line the CLI
// takes (its configuration, absent here, is the only complaint).
func TestExampleUnitCommand(t *testing.T) {
	unit, err := os.ReadFile(exampleUnit)
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, line := range strings.Split(string(unit), "\n") {
		if cmd, ok := strings.CutPrefix(line, "ExecStart="); ok {
			args = strings.Fields(cmd)[1:]
		}
	}
	if len(args) < 3 || args[0] != "run" || args[1] != "-config" {
		t.Fatalf("ExecStart arguments %q: want run -config FILE", args)
	}
	args[2] = filepath.Join(t.TempDir(), "absent.toml")
	err = run(context.Background(), args, os.Stdout, os.Stderr)
	if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), "absent.toml") {
		t.Errorf("maildesk %s: got %v, want the missing configuration named", strings.Join(args, " "), err)
	}
}
