package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestQueryPlans runs every query of the store through EXPLAIN QUERY PLAN
// and fails when one that runs per message, per ticket or per clock pass
// would scan a whole table or sort every open ticket. It asserts plans, not
// timings: a missing or unusable index (a partial index the planner cannot
// match, a lower() on an indexed column) shows up here on a tiny database.
func TestQueryPlans(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)

	type stmt struct {
		q         string
		args      []any
		wholeRead bool // a listing of everything: a scan is what it asks for
		byStatus  bool // a listing of every ticket of a status
		// A listing of several statuses: no index yields them in id
		// order, so it sorts what it found.
		sorts bool
	}
	var stmts []stmt
	wholeRead, byStatus, sorts := false, false, false
	queryHook = func(q string, args []any) {
		stmts = append(stmts, stmt{q, append([]any(nil), args...), wholeRead, byStatus, sorts})
	}
	defer func() { queryHook = nil }()

	err := s.Write(ctx, func(tx *Tx) error {
		due, notice := now.Add(48*time.Hour), now.Add(36*time.Hour)
		tk := &Ticket{Tag: "FTA-PASS", Mailbox: "fta-pass", Category: "fta-pass", Status: StatusOpen,
			Customer: "Kim@example.co.kr", Subject: "문의", CreatedAt: now, UpdatedAt: now, DueAt: &due, NoticeAt: &notice}
		must := func(err error) {
			if err != nil {
				t.Helper()
				t.Fatal(err)
			}
		}
		must(tx.InsertTicket(ctx, tk))
		m := &Message{TicketID: tk.ID, Direction: In, Kind: "inquiry", Mailbox: "fta-pass", UIDValidity: 1, UID: 1,
			MessageID: "a@b", ContentHash: "h", From: tk.Customer, To: []string{"fta-pass@origin.or.kr"},
			Refs: []string{"x@y"}, Raw: []byte("x"), CreatedAt: now}
		must(tx.InsertMessage(ctx, m))
		must(tx.UpdateTicket(ctx, tk))
		must(tx.AddEvent(ctx, tk.ID, now, "opened", ""))
		_, err := tx.Enqueue(ctx, m.ID, "a@b", []string{"c@d"}, now)
		must(err)
		must(tx.SetCursor(ctx, "fta-pass", 1, 1, now))
		must(tx.SetSetting(ctx, "k", []byte("v")))
		must(tx.AddFYI(ctx, Contact{ID: "h", Email: "h@x"}, tk.ID, now))

		// Each call's result is beside the point; only its plan is checked.
		tx.Ticket(ctx, tk.ID)
		byStatus = true
		tx.Tickets(ctx, TicketFilter{Status: []string{StatusOpen}, Limit: 50})
		tx.Tickets(ctx, TicketFilter{Status: []string{StatusOpen}})
		byStatus = false
		tx.TicketByReferences(ctx, []string{"a@b", "x@y"})
		tx.TicketBySharedReference(ctx, "kim@example.co.kr", []string{"x@y", "z@w"})
		tx.OpenTicketBySubject(ctx, "kim@example.co.kr", "문의", now.Add(-time.Hour))
		tx.TicketOfMailTo(ctx, "staff", "h@x", []string{"a@b", "x@y"})
		// A hostile mail's list is run in chunks; a full chunk's plan must
		// be as good as a short one's (a long IN list can tip the planner
		// into walking the table in id order instead).
		many := manyIDs(maxInList + 3)
		tx.TicketByReferences(ctx, many)
		tx.TicketBySharedReference(ctx, "kim@example.co.kr", many)
		tx.TicketOfMailTo(ctx, "staff", "h@x", many)
		byStatus, sorts = true, true
		tx.Tickets(ctx, TicketFilter{Status: []string{StatusOpen, StatusAnswered}, Limit: 50})
		tx.Gauges(ctx, now) // /metrics: every open ticket, grouped by category
		byStatus, sorts = false, false
		tx.Events(ctx, tk.ID)
		tx.Setting(ctx, "k")
		tx.MessageByUID(ctx, "fta-pass", 1, 1)
		tx.MessageByContent(ctx, "a@b", "h")
		tx.MessageByContent(ctx, "", "h")
		tx.Messages(ctx, tk.ID)
		tx.RecentMessages(ctx, tk.ID, 12)
		tx.LastReceivedText(ctx, tk.ID, "inquiry", "followup")
		tx.LastReceivedRaw(ctx, tk.ID, "inquiry", "followup")
		tx.MessageRaw(ctx, m.ID)
		tx.CountSentSince(ctx, "ack", "kim@example.co.kr", now.Add(-time.Hour))
		tx.CountSentWithSubject(ctx, "staff", "kim@example.co.kr", "[maildesk] ", now.Add(-time.Hour))
		tx.CountSentAbout(ctx, "staff", "Kim@example.co.kr", now.Add(-time.Hour))
		tx.Cursor(ctx, "fta-pass")
		tx.DueNotices(ctx, now, 100)
		tx.DueAlerts(ctx, now, 100)
		tx.NextDeadline(ctx)
		tx.ThreadIDs(ctx, tk.ID)
		tx.DueFYIs(ctx, now)
		tx.MarkFYISent(ctx, 1, now)
		tx.UnplannedAutoClose(ctx, 100)
		tx.DueAutoClose(ctx, now, 100)
		tx.SetAutoClose(ctx, tk.ID, &now)
		tx.ForgetAutoClose(ctx, tk.ID)
		tx.LastAnswerAt(ctx, tk.ID, []string{"answer", "staff-direct"}, []string{"followup", "inquiry"})
		tx.PutSurvey(ctx, &Survey{TicketID: tk.ID, CustomerKey: "kim@example.co.kr", SentAt: &now, CreatedAt: now})
		tx.Survey(ctx, tk.ID)
		tx.DueSurveys(ctx, now, 100)
		tx.SurveysTo(ctx, "kim@example.co.kr", now.Add(-time.Hour), tk.ID)
		tx.AddRating(ctx, &Rating{TicketID: tk.ID, Rating: 5, At: now})
		tx.AddRating(ctx, &Rating{TicketID: tk.ID, Rating: 4, At: now})
		tx.Ratings(ctx, tk.ID)
		tx.SurveysSent(ctx, now.Add(-time.Hour), now.Add(time.Hour))
		tx.NextDue(ctx, now, now.Add(time.Hour))
		tx.NextAttemptAt(ctx)
		tx.RecordAttempt(ctx, 1, now)
		tx.MarkRetry(ctx, 1, "x")
		tx.MarkSent(ctx, 1, now)
		tx.MarkFailed(ctx, 1, "x")

		wholeRead = true
		tx.Tickets(ctx, TicketFilter{})
		tx.Deliveries(ctx, "")
		tx.Deliveries(ctx, Queued)
		tx.MessageCounts(ctx)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	queryHook = nil

	seen := map[string]bool{}
	for _, st := range stmts {
		if seen[st.q] || strings.HasPrefix(strings.TrimSpace(st.q), "INSERT") {
			continue
		}
		seen[st.q] = true
		rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+st.q, st.args...)
		if err != nil {
			t.Fatalf("explain %s: %v", st.q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "\n")
		for _, d := range plan {
			scan := strings.HasPrefix(d, "SCAN ") && d != "SCAN CONSTANT ROW" && !strings.HasPrefix(d, "SCAN (subquery")
			// An index searched by status alone walks every open ticket:
			// a scan, unless every ticket of the status is what was asked.
			statusOnly := strings.HasSuffix(d, " (status=?)") && strings.Contains(d, "tickets")
			// A temporary sort is fine over the few rows an index found,
			// not over every open ticket.
			sortAll := strings.Contains(d, "TEMP B-TREE") && strings.Contains(all, "(status=?)") && !st.sorts
			if (scan && !st.wholeRead) || (statusOnly && !st.byStatus && !st.wholeRead) || sortAll {
				t.Errorf("query scans or sorts a whole table:\n%s\nplan:\n  %s", oneLine(st.q), strings.Join(plan, "\n  "))
				break
			}
		}
	}
	if len(seen) < 30 {
		t.Fatalf("explained %d distinct statements; the hook missed some", len(seen))
	}
}

// manyIDs returns n distinct Message-IDs that match nothing stored.
func manyIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("many%d@example.com", i)
	}
	return ids
}

func oneLine(q string) string { return strings.Join(strings.Fields(q), " ") }
