package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// reportFormats runs `maildesk report` in each format on the stack's
// database, where surveyFlow left two tickets, and checks that every
// format says the same.
func (s *stack) reportFormats(t *testing.T) {
	t.Helper()
	report := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"report", "-config", s.configPath}, args...), &out, &errOut)
		return out.String(), err
	}
	js, err := report("-format", "json")
	if err != nil {
		t.Fatalf("report -format json: %v", err)
	}
	var doc struct {
		Period  struct{ From, To string }
		Tickets struct {
			Received, Answered int
			ByCategory         []struct{ ID string } `json:"by_category"`
		}
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	year := time.Now().In(mustSeoul(t)).Format("2006")
	if doc.Period.From != year+"-01-01" || doc.Period.To != time.Now().In(mustSeoul(t)).Format(time.DateOnly) ||
		doc.Tickets.Received != 2 || doc.Tickets.Answered != 1 || len(doc.Tickets.ByCategory) != 1 || doc.Tickets.ByCategory[0].ID != "fta-pass" {
		t.Errorf("report json: %+v\n%s", doc, js)
	}
	text, err := report()
	if err != nil || !strings.Contains(text, "고객헌장 이행실적 / Customer charter report") || !strings.Contains(text, "접수 / received:             2 (전자우편(email) 2)") {
		t.Errorf("report (text): %v\n%s", err, text)
	}
	t.Logf("maildesk report:\n%s", text)
	c, err := report("-format", "csv", "-category", "fta-pass")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(c)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "ticket_id" || rows[1][0] != "1" || rows[1][13] != "true" {
		t.Errorf("report -format csv: %v\n%s", err, c)
	}
	file := filepath.Join(t.TempDir(), "report.html")
	if out, err := report("-format", "html", "-o", file); err != nil || out != "" {
		t.Fatalf("report -format html -o: %v, printed %q", err, out)
	}
	page, err := os.ReadFile(file)
	if err != nil || !bytes.HasPrefix(page, []byte("<!DOCTYPE html>")) || !bytes.Contains(page, []byte(`id="received">2<`)) {
		t.Errorf("report.html: %v, %d bytes", err, len(page))
	}
	for _, args := range [][]string{{"-format", "xml"}, {"-category", "nosuch"}, {"-from", "2026-13-01"}, {"-from", "2026-12-01", "-to", "2026-11-01"}} {
		if _, err := report(args...); err == nil {
			t.Errorf("report %v: no error", args)
		}
	}
}

func mustSeoul(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
