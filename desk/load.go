package desk

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/templates"
)

// LoadOptions say how Load reads maildesk.toml.
type LoadOptions struct {
	// NoSecrets skips resolving passwords, for commands that connect
	// nowhere (rules test, calendar): an admin trying a rule edit on a
	// workstation has no passwords.
	NoSecrets bool
}

// Loaded is everything the files admins edit say, checked together.
type Loaded struct {
	Config    *config.Config
	Rules     *rules.Set
	Templates *templates.Set
}

// Load reads maildesk.toml and the rules and templates it names, and checks
// them together: the one path for the daemon's start, its hot reload
// (LoadRules) and `maildesk rules check`. On failure the error is
// config.Problems, every problem as file:line: message; problems in
// maildesk.toml come alone, since the rules it names cannot be found
// without it.
func Load(configPath string, o LoadOptions) (*Loaded, error) {
	load := config.Load
	if o.NoSecrets {
		load = config.LoadNoSecrets
	}
	cfg, err := load(configPath)
	if err != nil {
		return nil, err
	}
	return LoadRules(cfg)
}

// LoadRules is Load of a config already read: it loads the rules and
// templates cfg names, checks the rules against cfg's mailboxes, and renders
// every template a category uses on trial. The reload calls it alone, as the
// settings of maildesk.toml itself (servers, mailboxes) need a restart.
func LoadRules(cfg *config.Config) (*Loaded, error) {
	var problems config.Problems
	collect := func(err error) {
		var ps config.Problems
		var tes templates.Errors
		switch {
		case err == nil:
		case errors.As(err, &ps):
			problems = append(problems, ps...)
		case errors.As(err, &tes):
			for _, te := range tes {
				problems = append(problems, config.Problem{File: te.File, Line: te.Line, Msg: te.Msg})
			}
		default:
			// About no one file: an override directory that is missing.
			problems = append(problems, config.Problem{Msg: err.Error()})
		}
	}
	rs, err := rules.LoadWithZone(cfg.Rules, cfg.Location)
	collect(err)
	if err == nil {
		collect(rs.Validate(deployment(cfg)))
	}
	tmpl, err := templates.Load(cfg.Templates)
	collect(err)
	if rs != nil && tmpl != nil {
		// A category's own template must exist and render as the kind of
		// mail it is used for, or its first acknowledgement would fail.
		for _, u := range rs.TemplateUses() {
			err := tmpl.Check(u.Name, u.Kind)
			if err == nil {
				continue
			}
			// A template that fails to render is wrong at its own line;
			// one that is missing, at the line of the rule naming it.
			if te, ok := errors.AsType[*templates.Error](err); ok {
				problems = append(problems, config.Problem{File: te.File, Line: te.Line,
					Msg: fmt.Sprintf("%s (used as %s at %s:%d)", te.Msg, u.Field, u.Pos.File, u.Pos.Line)})
				continue
			}
			problems = append(problems, config.Problem{File: u.Pos.File, Line: u.Pos.Line,
				Msg: fmt.Sprintf("%s: %v", u.Field, err)})
		}
	}
	if len(problems) > 0 {
		// One list in one order, whatever part found each problem:
		// maildesk.toml, the rule files as read, then the templates.
		files := []string{cmp.Or(cfg.File, cfg.Path)}
		if rs != nil {
			files = append(files, rs.Files...)
		}
		return nil, problems.Sorted(files...)
	}
	return &Loaded{Config: cfg, Rules: rs, Templates: tmpl}, nil
}

// deployment is what the rules are checked against: the mailboxes of cfg,
// with the lines that define them.
func deployment(cfg *config.Config) rules.Deployment {
	d := rules.Deployment{File: cmp.Or(cfg.File, cfg.Path), Rules: cfg.Rules}
	for _, m := range cfg.Mailboxes {
		d.Mailboxes = append(d.Mailboxes, rules.DeployedMailbox{Name: m.Name, Line: m.Line})
	}
	return d
}
