package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kioi/maildesk/desk"
)

// reportArgs is what `maildesk report` was asked for.
type reportArgs struct {
	config, format, from, to, category, out string
}

// reportCommand prints the charter report of a period (docs/report.md):
// -from and -to are dates in the configured zone, both included; by
// default the period is this calendar year up to today. Every format
// renders the one desk.Report.
func reportCommand(ctx context.Context, a reportArgs, now time.Time, w io.Writer) error {
	switch a.format {
	case "", "text", "json", "csv", "html":
	default:
		return usagef("report: -format %q: want text, json, csv or html", a.format)
	}
	st, cfg, err := openExisting(ctx, a.config)
	if err != nil {
		return err
	}
	defer st.Close()
	l, err := desk.LoadRules(cfg)
	if err != nil {
		return err
	}
	loc := cfg.Location
	today := now.In(loc)
	from := time.Date(today.Year(), time.January, 1, 0, 0, 0, 0, loc)
	to := time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, loc)
	if a.from != "" {
		if from, err = time.ParseInLocation(time.DateOnly, a.from, loc); err != nil {
			return usagef("report: -from %q: want a date like 2026-01-01", a.from)
		}
	}
	if a.to != "" {
		day, err := time.ParseInLocation(time.DateOnly, a.to, loc)
		if err != nil {
			return usagef("report: -to %q: want a date like 2026-12-31", a.to)
		}
		to = day.AddDate(0, 0, 1)
	}
	if !to.After(from) {
		return usagef("report: -to is before -from")
	}
	if a.category != "" && l.Rules.Categories[a.category] == nil {
		return usagef("report: -category %q: no such category in the rules", a.category)
	}
	r, err := desk.BuildReport(ctx, st, desk.ReportOptions{From: from, To: to, Now: now, Category: a.category, Rules: l.Rules, Location: loc})
	if err != nil {
		return err
	}
	var b bytes.Buffer
	switch a.format {
	case "json":
		err = r.WriteJSON(&b)
	case "csv":
		err = r.WriteCSV(&b)
	case "html":
		err = r.WriteHTML(&b)
	default:
		err = r.WriteText(&b)
	}
	if err != nil {
		return err
	}
	if a.out != "" && a.out != "-" {
		if err := os.WriteFile(a.out, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		return nil
	}
	_, err = w.Write(b.Bytes())
	return err
}
