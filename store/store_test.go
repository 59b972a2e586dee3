package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), testDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMigrateIdempotentAndRefusesNewer(t *testing.T) {
	ctx := context.Background()
	path := testDatabase(t)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Opening again runs no migration twice.
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	var v int
	if err := s.db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion() {
		t.Fatalf("schema version: got %d, want %d", v, SchemaVersion())
	}
	if _, err := s.db.Exec(`UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(ctx, path)
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("open newer database: got %v, want ErrNewerSchema", err)
	}
}

func TestWALMode(t *testing.T) {
	sqliteOnly(t)
	s := openTest(t)
	var mode string
	if err := s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Fatalf("journal_mode: got %q, want wal", mode)
	}
}

func TestTicketMessageRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)
	due := now.Add(48 * time.Hour)
	tk := &Ticket{Tag: "FTA-PASS", Mailbox: "fta-pass", Category: "fta-pass", Status: StatusOpen,
		Handler:  Contact{ID: "mslim", Name: "임민수", Phone: "031-600-0722"},
		Customer: "kim@example.co.kr", Subject: "원산지 문의", CreatedAt: now, UpdatedAt: now, DueAt: &due}
	raw := []byte("Subject: x\r\n\r\nbody\x00\xff")
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.InsertTicket(ctx, tk); err != nil {
			return err
		}
		m := &Message{TicketID: tk.ID, Direction: In, Kind: "inquiry", Mailbox: "fta-pass", UIDValidity: 7, UID: 3,
			MessageID: "a@b", ContentHash: "h", From: "kim@example.co.kr", To: []string{"fta-pass@origin.or.kr"},
			Text: "새 질문\n\n> 옛 인용", NewText: "새 질문",
			Refs: []string{"x@y", "z@w"}, Raw: raw, CreatedAt: now}
		return tx.InsertMessage(ctx, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Read(ctx, func(tx *Tx) error {
		got, err := tx.Ticket(ctx, tk.ID)
		if err != nil {
			return err
		}
		if got.Handler.Name != "임민수" || got.DueAt == nil || !got.DueAt.Equal(due) || got.AnsweredAt != nil {
			t.Errorf("ticket: got %+v", got)
		}
		if got.FullTag() != "[FTA-PASS #1]" {
			t.Errorf("tag: got %q, want [FTA-PASS #1]", got.FullTag())
		}
		id, err := tx.MessageByUID(ctx, "fta-pass", 7, 3)
		if err != nil {
			return err
		}
		b, err := tx.MessageRaw(ctx, id)
		if err != nil {
			return err
		}
		if string(b) != string(raw) {
			t.Errorf("raw: got %q, want %q", b, raw)
		}
		ms, err := tx.Messages(ctx, tk.ID)
		if err != nil || len(ms) != 1 || ms[0].NewText != "새 질문" || ms[0].Text != "새 질문\n\n> 옛 인용" {
			t.Errorf("messages: got %+v, %v", ms, err)
		}
		if _, err := tx.MessageByUID(ctx, "fta-pass", 8, 3); !errors.Is(err, ErrNotFound) {
			t.Errorf("other uidvalidity: got %v, want ErrNotFound", err)
		}
		if _, err := tx.MessageByContent(ctx, "a@b", "h"); err != nil {
			t.Errorf("by content: %v", err)
		}
		tid, err := tx.TicketByReferences(ctx, []string{"nope@x", "a@b"})
		if err != nil || tid != tk.ID {
			t.Errorf("by references: got %d, %v; want %d", tid, err, tk.ID)
		}
		if _, err := tx.TicketByReferences(ctx, []string{"x@y"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("a referenced but unstored id must not thread: got %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDuplicateUIDRejected(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	ins := func() error {
		return s.Write(ctx, func(tx *Tx) error {
			return tx.InsertMessage(ctx, &Message{Direction: In, Kind: "inquiry", Mailbox: "m", UIDValidity: 1, UID: 1,
				ContentHash: "h", Raw: []byte("x"), CreatedAt: time.Now()})
		})
	}
	if err := ins(); err != nil {
		t.Fatal(err)
	}
	if err := ins(); err == nil {
		t.Fatal("second insert of the same (mailbox, uidvalidity, uid): got nil error, want a constraint error")
	}
}

func TestCursorNeverMovesBack(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	steps := []struct {
		uv, uid         uint32
		wantUV, wantUID uint32
	}{
		{5, 10, 5, 10},
		{5, 4, 5, 10}, // an older uid under the same validity is ignored
		{5, 12, 5, 12},
		{6, 2, 6, 2}, // a new validity starts over
	}
	for _, st := range steps {
		err := s.Write(ctx, func(tx *Tx) error { return tx.SetCursor(ctx, "m", st.uv, st.uid, time.Now()) })
		if err != nil {
			t.Fatal(err)
		}
		var uv, uid uint32
		err = s.Read(ctx, func(tx *Tx) (err error) { uv, uid, err = tx.Cursor(ctx, "m"); return err })
		if err != nil {
			t.Fatal(err)
		}
		if uv != st.wantUV || uid != st.wantUID {
			t.Errorf("after set %d/%d: got %d/%d, want %d/%d", st.uv, st.uid, uv, uid, st.wantUV, st.wantUID)
		}
	}
}

func TestOutboxLifecycle(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var oid int64
	err := s.Write(ctx, func(tx *Tx) error {
		m := &Message{Direction: Out, Kind: "ack", MessageID: "ack1@x", ContentHash: "h", To: []string{"c@x"},
			Raw: []byte("raw ack"), CreatedAt: t0}
		if err := tx.InsertMessage(ctx, m); err != nil {
			return err
		}
		var err error
		oid, err = tx.Enqueue(ctx, m.ID, "fta-pass@origin.or.kr", []string{"c@x"}, t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var d *Delivery
	// Taking the due row is a claim (it locks the row on PostgreSQL).
	err = s.Claim(ctx, func(tx *Tx) (err error) {
		if _, err := tx.NextDue(ctx, t0.Add(-time.Second), t0.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
			t.Errorf("before due: got %v, want ErrNotFound", err)
		}
		d, err = tx.NextDue(ctx, t0, t0.Add(time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != oid || string(d.Raw) != "raw ack" || len(d.To) != 1 || d.To[0] != "c@x" {
		t.Fatalf("due delivery: got %+v", d)
	}
	next := t0.Add(time.Minute)
	err = s.Write(ctx, func(tx *Tx) error {
		if err := tx.RecordAttempt(ctx, d.ID, next); err != nil {
			return err
		}
		return tx.MarkRetry(ctx, d.ID, "451 try later")
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Claim(ctx, func(tx *Tx) error {
		if _, err := tx.NextDue(ctx, t0, t0.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
			t.Errorf("after attempt: got %v, want not due until %v", err, next)
		}
		at, err := tx.NextAttemptAt(ctx)
		if err != nil || !at.Equal(next) {
			t.Errorf("next attempt: got %v, %v; want %v", at, err, next)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Write(ctx, func(tx *Tx) error { return tx.MarkSent(ctx, d.ID, next) })
	if err != nil {
		t.Fatal(err)
	}
	err = s.Read(ctx, func(tx *Tx) error {
		if _, err := tx.NextAttemptAt(ctx); !errors.Is(err, ErrNotFound) {
			t.Errorf("empty outbox: got %v, want ErrNotFound", err)
		}
		ds, err := tx.Deliveries(ctx, Sent)
		if err != nil || len(ds) != 1 || ds[0].Attempts != 1 {
			t.Errorf("sent deliveries: got %+v, %v", ds, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRollbackOnError(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	boom := errors.New("boom")
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.SetCursor(ctx, "m", 1, 9, time.Now()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	err = s.Read(ctx, func(tx *Tx) error {
		_, _, err := tx.Cursor(ctx, "m")
		return err
	})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("cursor after rollback: got %v, want ErrNotFound", err)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM cursors`).Scan(&n); err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("cursors: got %d rows, want 0", n)
	}
}

// A database written by the first schema is upgraded in place, its rows kept.
func TestUpgradeFromVersion1(t *testing.T) {
	sqliteOnly(t) // PostgreSQL databases were all made at the current version so far
	ctx := context.Background()
	s := openOldSQLite(t, 1,
		`INSERT INTO tickets (tag, mailbox, category, status, customer, created_at, updated_at)
			VALUES ('FTA-PASS', 'fta-pass', 'fta-pass', 'open', 'kim@example.co.kr', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
		`INSERT INTO messages (ticket_id, direction, kind, content_hash, raw, body_text, created_at)
			VALUES (1, 'in', 'inquiry', 'h', x'00', '옛 본문', '2026-01-01T00:00:00.000Z')`)
	err := s.Read(ctx, func(tx *Tx) error {
		got, err := tx.Messages(ctx, 1)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].Text != "옛 본문" || got[0].NewText != "" {
			t.Errorf("after upgrade: got %+v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTicketFilters(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	type row struct {
		handler, category, status, subject, text string
		overdue                                  bool
		days                                     int
	}
	rows := []row{
		{"mslim", "fta-pass", StatusOpen, "원산지 문의", "발급 방법", false, 0},
		{"mslim", "fta-pass", StatusOpen, "환불 요청", "", true, 1},
		{"bslee", "qualification", StatusAnswered, "시험 일정", "환불 되나요?", false, 2},
		{"bslee", "qualification", StatusClosed, "100% sure_thing", "", false, 3},
	}
	err := s.Write(ctx, func(tx *Tx) error {
		for i, r := range rows {
			created := t0.AddDate(0, 0, r.days)
			tk := &Ticket{Tag: "T", Mailbox: "m", Category: r.category, Status: r.status, Handler: Contact{ID: r.handler},
				Customer: "c@x", Subject: r.subject, CreatedAt: created, UpdatedAt: created, Priority: "normal"}
			if r.overdue {
				tk.OverdueAt = &created
			}
			if err := tx.InsertTicket(ctx, tk); err != nil {
				return err
			}
			if err := tx.InsertMessage(ctx, &Message{TicketID: tk.ID, Direction: In, Kind: "inquiry", MessageID: fmt.Sprintf("f%d@x", i),
				ContentHash: "h", Text: r.text, Raw: []byte("x"), CreatedAt: created}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	tests := []struct {
		name string
		f    TicketFilter
		want []int64
	}{
		{"all", TicketFilter{}, []int64{4, 3, 2, 1}},
		{"open", TicketFilter{Status: []string{StatusOpen}, Overdue: &no}, []int64{1}},
		{"overdue", TicketFilter{Status: []string{StatusOpen}, Overdue: &yes}, []int64{2}},
		{"open and overdue", TicketFilter{Status: []string{StatusOpen}}, []int64{2, 1}},
		{"handler", TicketFilter{Handler: "bslee"}, []int64{4, 3}},
		{"category and status", TicketFilter{Category: "qualification", Status: []string{StatusAnswered}}, []int64{3}},
		{"since", TicketFilter{Since: t0.AddDate(0, 0, 2)}, []int64{4, 3}},
		{"two-syllable Korean in subject or text", TicketFilter{Search: "환불"}, []int64{3, 2}},
		{"LIKE metacharacters are literal", TicketFilter{Search: "0% s"}, []int64{4}},
		{"underscore is literal", TicketFilter{Search: "e_t"}, []int64{4}},
		{"a literal percent sign", TicketFilter{Search: "%"}, []int64{4}},
		{"limit", TicketFilter{Limit: 2}, []int64{4, 3}},
	}
	for _, tt := range tests {
		var got []int64
		err := s.Read(ctx, func(tx *Tx) error {
			ts, err := tx.Tickets(ctx, tt.f)
			for _, tk := range ts {
				got = append(got, tk.ID)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// openOldSQLite builds a SQLite database at schema version, as a maildesk
// of that version left it, with rows inserted, and opens it with this
// code: the upgrade under test.
func openOldSQLite(t *testing.T, version int, rows ...string) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("v%d.db", version))
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	qs := []string{`CREATE TABLE schema_version (version INTEGER NOT NULL)`, fmt.Sprintf(`INSERT INTO schema_version VALUES (%d)`, version)}
	for _, m := range ms[:version] {
		qs = append(qs, m.sql)
	}
	for _, q := range append(qs, rows...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
