package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kioi/maildesk/desk"
)

// reportCommand prints the figures of a period: `maildesk report -format
// json` gives one JSON document with an object per subject (the survey's
// now; others are added beside it). -from and -to are dates in the
// configured zone, both included; by default the report covers everything
// up to now.
func reportCommand(ctx context.Context, configPath, format, fromArg, toArg string, w io.Writer) error {
	st, cfg, err := openExisting(ctx, configPath)
	if err != nil {
		return err
	}
	defer st.Close()
	from, to := time.Unix(0, 0).UTC(), time.Now().Add(time.Minute)
	if fromArg != "" {
		if from, err = time.ParseInLocation("2006-01-02", fromArg, cfg.Location); err != nil {
			return usagef("report: -from %q: want a date like 2026-01-01", fromArg)
		}
	}
	if toArg != "" {
		day, err := time.ParseInLocation("2006-01-02", toArg, cfg.Location)
		if err != nil {
			return usagef("report: -to %q: want a date like 2026-12-31", toArg)
		}
		to = day.AddDate(0, 0, 1)
	}
	if !to.After(from) {
		return usagef("report: -to is before -from")
	}
	r, err := desk.BuildReport(ctx, st, from, to)
	if err != nil {
		return err
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "text", "":
		s := r.Survey
		fmt.Fprintf(w, "기간 / period: %s .. %s\n\n", r.From.In(cfg.Location).Format("2006-01-02"), r.To.Add(-time.Second).In(cfg.Location).Format("2006-01-02"))
		fmt.Fprintf(w, "고객만족도 조사 / satisfaction survey\n")
		fmt.Fprintf(w, "  발송 / sent:            %d\n", s.Sent)
		fmt.Fprintf(w, "  응답 / responses:       %d (%.1f%%)\n", s.Responses, s.ResponseRate*100)
		fmt.Fprintf(w, "  평균 / average:         %.2f / 5 (%.1f / 100)\n", s.Average, s.Score100)
		var dist []string
		for n := 5; n >= 1; n-- {
			dist = append(dist, fmt.Sprintf("%d: %d", n, s.Distribution[fmt.Sprint(n)]))
		}
		fmt.Fprintf(w, "  분포 / distribution:    %s\n", strings.Join(dist, ", "))
		for _, h := range s.ByHandler {
			fmt.Fprintf(w, "  %-12s %-8s %3d responses, average %.2f\n", h.ID, h.Name, h.Responses, h.Average)
		}
		return nil
	}
	return usagef("report: -format %q: want text or json", format)
}
