package main

import (
	"cmp"
	"context"
	"errors"
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
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/templates"
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
	rs, tmpl, err := loadRules(r.cfg)
	if err != nil {
		r.log.Error("rules not reloaded: the rules in force stay", "problems", err.Error())
	} else {
		r.desk.SetRules(rs)
		r.desk.SetTemplates(tmpl)
		r.log.Info("rules reloaded", "files", len(rs.Files), "categories", len(rs.Categories), "handlers", len(rs.Handlers))
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

// loadRules loads and checks the rules and templates a config names, all
// problems together: the one path for startup, reload and `rules check`.
func loadRules(cfg *config.Config) (*rules.Set, *templates.Set, error) {
	var problems rules.Problems
	collect := func(err error) {
		var ps rules.Problems
		if errors.As(err, &ps) {
			problems = append(problems, ps...)
		} else if err != nil {
			// The templates name their own files and lines.
			problems = append(problems, rules.Problem{Msg: err.Error()})
		}
	}
	rs, err := rules.LoadWithZone(cfg.Rules, cfg.Location)
	collect(err)
	if err == nil {
		d := rules.Deployment{File: cmp.Or(cfg.File, cfg.Path), Rules: cfg.Rules}
		for _, m := range cfg.Mailboxes {
			d.Mailboxes = append(d.Mailboxes, rules.DeployedMailbox{Name: m.Name, Line: m.Line})
		}
		collect(rs.Validate(d))
	}
	tmpl, err := templates.Load(cfg.Templates)
	collect(err)
	if rs != nil && tmpl != nil {
		// A category's own template must exist and render as the kind of
		// mail it is used for, or its first acknowledgement would fail.
		for _, u := range rs.TemplateUses() {
			err := tmpl.Check(u.Name, u.Kind)
			switch {
			case err == nil:
			case errors.Is(err, templates.ErrNoTemplate):
				problems = append(problems, rules.Problem{File: u.Pos.File, Line: u.Pos.Line,
					Msg: fmt.Sprintf("%s: %v", u.Field, err)})
			default:
				problems = append(problems, rules.Problem{
					Msg: fmt.Sprintf("%v (used as %s at %s:%d)", err, u.Field, u.Pos.File, u.Pos.Line)})
			}
		}
	}
	if len(problems) > 0 {
		return nil, nil, problems
	}
	return rs, tmpl, nil
}
