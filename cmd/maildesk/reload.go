package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/desk"
)

// reloadEvery is how often the rule and template files are checked for
// changes. Checking is a stat of each file, cheap enough to poll; polling
// also works on network file systems where change notification does not.
const reloadEvery = 2 * time.Second

// reloader swaps in edited rules and templates while the daemon runs. An
// edit that does not pass the checks of `maildesk rules check` is logged
// with every problem, and the rules in force stay.
type reloader struct {
	cfg   *config.Config
	desk  *desk.Desk
	log   *slog.Logger
	every time.Duration
	// done, when set, is called after each reload attempt (tests).
	done func(error)

	seen string // fingerprint of the files last loaded or rejected
}

func (r *reloader) run(ctx context.Context) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	r.seen = r.fingerprint()
	pending := r.seen
	ticker := time.NewTicker(r.every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			r.log.Info("SIGHUP: reloading rules and templates")
			r.seen = r.fingerprint()
			r.reload()
		case <-ticker.C:
			// Reload once a change has held still for one interval: an
			// editor or a deploy may be half-way through writing.
			fp := r.fingerprint()
			if fp != r.seen && fp == pending {
				r.seen = fp
				r.reload()
			}
			pending = fp
		}
	}
}

// reload loads, checks and swaps in the rules and templates. Settings of
// maildesk.toml itself (servers, mailboxes) need a restart.
func (r *reloader) reload() {
	l, err := desk.LoadRules(r.cfg)
	if err != nil {
		r.log.Error("rules not reloaded: the rules in force stay", "problems", err.Error())
	} else {
		r.desk.SetRules(l.Rules)
		r.desk.SetTemplates(l.Templates)
		r.log.Info("rules reloaded", "files", len(l.Rules.Files), "categories", len(l.Rules.Categories), "handlers", len(l.Rules.Handlers))
	}
	if r.done != nil {
		r.done(err)
	}
}

// fingerprint names every rule and template file with its size and
// modification time.
func (r *reloader) fingerprint() string {
	var parts []string
	for _, dir := range []string{r.cfg.Rules, r.cfg.Templates} {
		if dir == "" {
			continue
		}
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				parts = append(parts, path+": "+err.Error())
				return nil
			}
			if info, err := d.Info(); err == nil && !d.IsDir() {
				parts = append(parts, fmt.Sprintf("%s %d %d", path, info.Size(), info.ModTime().UnixNano()))
			}
			return nil
		})
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n")
}
