package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kioi/maildesk/internal/postgres"
)

// copyPair returns a new SQLite file's path and a new, empty PostgreSQL
// schema's URL. The copy needs both engines: its tests run in the
// PostgreSQL run of this package (see TestMain), where testDatabase gives
// PostgreSQL, and skip in the SQLite run.
func copyPair(t *testing.T) (lite, pg string) {
	t.Helper()
	if !onPostgres() {
		t.Skip("needs SQLite and PostgreSQL: runs in the PostgreSQL run of the store tests")
	}
	return filepath.Join(t.TempDir(), "maildesk.db"), testDatabase(t)
}

// copyFixture is what fillStore wrote, to read it back.
type copyFixture struct {
	tickets  []int64
	messages []int64
	raws     map[int64][]byte
	key      []byte // the reply-token key setting
}

var copyT0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// fillStore writes n tickets and around them a realistic spread of rows
// through the store's API: several messages each (raw bytes with bytes
// that are not UTF-8, references, received and sent), the outbox in
// every state, events, an FYI, cursors, settings with the reply-token
// key, closed tickets with surveys and ratings (one replaced), and
// correction requests upheld (one paid) and dismissed.
func fillStore(t testing.TB, s *Store, n int) *copyFixture {
	t.Helper()
	ctx := context.Background()
	fx := &copyFixture{raws: map[int64][]byte{}, key: []byte("k\x00\xff\x01reply-token-key-32-bytes-long!!")}
	body := strings.Repeat("원산지확인서 발급 문의입니다. ", 20)
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.SetSetting(ctx, "reply-token-key", fx.key); err != nil {
			return err
		}
		if err := tx.SetSetting(ctx, "survey-note", []byte("짧은 설문")); err != nil {
			return err
		}
		for _, mb := range []string{"fta-pass", "qual"} {
			if err := tx.SetCursor(ctx, mb, 7, uint32(100+len(mb)), copyT0); err != nil {
				return err
			}
		}
		if err := tx.AddEvent(ctx, 0, copyT0, "mailbox", "fta-pass: connected"); err != nil {
			return err
		}
		for i := range n {
			at := copyT0.Add(time.Duration(i) * time.Minute)
			due := at.Add(48 * time.Hour)
			notice := due.Add(-12 * time.Hour)
			tag, mb, cat := "FTA-PASS", "fta-pass", "fta-pass"
			if i%3 == 2 {
				tag, mb, cat = "QUAL", "qual", "correction"
			}
			tk := &Ticket{Tag: tag, Mailbox: mb, Category: cat, Status: StatusOpen,
				Handler:  Contact{ID: "lee", Name: "이담당", Department: "원산지팀", Phone: "02-000-0000", Email: "lee@origin.or.kr", NameEn: "Lee"},
				Customer: fmt.Sprintf("Kim%d@Example.co.kr", i), CustomerKey: fmt.Sprintf("kim%d@example.co.kr", i), CustomerName: "김고객",
				Subject: fmt.Sprintf("원산지 문의 %d", i), CreatedAt: at, UpdatedAt: at, DueAt: &due, NoticeAt: &notice, PromisedAt: &due,
				Priority: "normal", Language: "ko"}
			if i%4 == 1 {
				tk.Language, tk.Subject = "en", fmt.Sprintf("Origin question %d", i)
			}
			if err := tx.InsertTicket(ctx, tk); err != nil {
				return err
			}
			fx.tickets = append(fx.tickets, tk.ID)
			var refs []string
			for k := range 3 {
				dir, kind, from, to := In, "inquiry", tk.Customer, mb+"@origin.or.kr"
				if k == 1 {
					dir, kind, from, to = Out, "ack", mb+"@origin.or.kr", tk.Customer
				} else if k == 2 {
					kind = "followup"
				}
				id := fmt.Sprintf("<m%d.%d@example.co.kr>", i, k)
				// Raw mail in EUC-KR: bytes that are not UTF-8, kept verbatim.
				raw := []byte(fmt.Sprintf("Message-ID: %s\r\nSubject: =?euc-kr?B?v/i75w==?=\r\nContent-Type: text/plain; charset=euc-kr\r\n\r\n\xbf\xf8\xbb\xea %d\r\n", id, i))
				date := at.Add(time.Duration(k) * time.Second)
				m := &Message{TicketID: tk.ID, Direction: dir, Kind: kind, Mailbox: mb, MessageID: id, ContentHash: fmt.Sprintf("h%d.%d", i, k),
					From: from, FromName: "김고객", To: []string{to}, Subject: tk.Subject, Date: &date, Text: body, NewText: "문의입니다.",
					Refs: refs, Raw: raw, CreatedAt: date}
				if dir == In {
					m.UIDValidity, m.UID, m.FromKey = 7, uint32(i*3+k+1), tk.CustomerKey
				} else {
					m.ToKey = tk.CustomerKey
				}
				if i%10 == 3 && k == 2 {
					m.Defects = []string{"missing final boundary"}
				}
				if err := tx.InsertMessage(ctx, m); err != nil {
					return err
				}
				fx.messages = append(fx.messages, m.ID)
				fx.raws[m.ID] = raw
				refs = append(refs, id)
				if dir == Out {
					oid, err := tx.Enqueue(ctx, m.ID, from, []string{to}, date)
					if err != nil {
						return err
					}
					switch i % 3 {
					case 0:
						if err := tx.MarkSent(ctx, oid, date.Add(time.Second)); err != nil {
							return err
						}
					case 1:
						if err := tx.MarkFailed(ctx, oid, "550 no such user"); err != nil {
							return err
						}
					}
				}
			}
			if err := tx.AddEvent(ctx, tk.ID, at, "opened", "category "+cat); err != nil {
				return err
			}
			if i%7 == 0 {
				if err := tx.AddFYI(ctx, Contact{ID: "park", Name: "박담당", Email: "park@origin.or.kr"}, tk.ID, due); err != nil {
					return err
				}
			}
			if cat == "correction" {
				if err := tx.OpenCorrection(ctx, tk.ID, at); err != nil {
					return err
				}
				if i%2 == 0 {
					outcome, amount := CorrectionUpheld, int64(10000)
					if i%4 == 0 {
						outcome, amount = CorrectionDismissed, 0
					}
					c, err := tx.DecideCorrection(ctx, tk.ID, at, outcome, amount, "lee", "늦은 답변", at.Add(time.Hour))
					if err != nil {
						return err
					}
					if outcome == CorrectionUpheld && i%3 == 2 {
						if _, err := tx.MarkPaid(ctx, c.ID, "계좌이체", at.Add(2*time.Hour)); err != nil {
							return err
						}
					}
				}
			}
			if i%5 == 4 {
				closed := at.Add(time.Hour)
				tk.Status, tk.AnsweredAt, tk.ClosedAt = StatusClosed, &closed, &closed
				if err := tx.UpdateTicket(ctx, tk); err != nil {
					return err
				}
				sent := closed.Add(time.Hour)
				if err := tx.PutSurvey(ctx, &Survey{TicketID: tk.ID, CustomerKey: tk.CustomerKey, SentAt: &sent,
					MessageID: fmt.Sprintf("<survey%d@origin.or.kr>", i), CreatedAt: closed}); err != nil {
					return err
				}
				for r := 4; r <= 5; r++ {
					if _, err := tx.AddRating(ctx, &Rating{TicketID: tk.ID, MessageID: fx.messages[len(fx.messages)-1], Rating: r,
						Comment: "친절했습니다", Handler: Contact{ID: "lee", Name: "이담당"}, Category: cat, At: sent.Add(time.Duration(r) * time.Minute)}); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// readAll is everything the API reads of the tickets in fx, as one value
// to compare between the engines.
func readAll(t *testing.T, s *Store, fx *copyFixture) map[string]any {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	err := s.Read(ctx, func(tx *Tx) error {
		all, err := tx.Tickets(ctx, TicketFilter{})
		if err != nil {
			return err
		}
		out["tickets"] = all
		for _, id := range fx.tickets {
			tk, err := tx.Ticket(ctx, id)
			if err != nil {
				return err
			}
			ms, err := tx.Messages(ctx, id)
			if err != nil {
				return err
			}
			ev, err := tx.Events(ctx, id)
			if err != nil {
				return err
			}
			rs, err := tx.Ratings(ctx, id)
			if err != nil {
				return err
			}
			sv, err := tx.Survey(ctx, id)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			c, err := tx.CorrectionOf(ctx, id)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			out[fmt.Sprint("ticket ", id)] = []any{tk, ms, ev, rs, sv, c}
		}
		for _, id := range fx.messages {
			raw, err := tx.MessageRaw(ctx, id)
			if err != nil {
				return err
			}
			if string(raw) != string(fx.raws[id]) {
				t.Errorf("message %d: raw bytes %q, want %q", id, raw, fx.raws[id])
			}
		}
		ds, err := tx.Deliveries(ctx, "")
		if err != nil {
			return err
		}
		out["outbox"] = ds
		ledger, err := tx.Ledger(ctx, time.Time{}, time.Time{})
		if err != nil {
			return err
		}
		out["ledger"] = ledger
		fyis, err := tx.DueFYIs(ctx, copyT0.Add(365*24*time.Hour))
		if err != nil {
			return err
		}
		out["fyi"] = fyis
		for _, name := range []string{"reply-token-key", "survey-note"} {
			v, err := tx.Setting(ctx, name)
			if err != nil {
				return err
			}
			out["setting "+name] = v
		}
		for _, mb := range []string{"fta-pass", "qual"} {
			uv, last, err := tx.Cursor(ctx, mb)
			if err != nil {
				return err
			}
			out["cursor "+mb] = []uint32{uv, last}
		}
		mailboxEvents, err := tx.Events(ctx, 0)
		if err != nil {
			return err
		}
		out["events 0"] = mailboxEvents
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func openLite(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The copy holds everything the SQLite file held, read through the same
// API; the report counts every table; new tickets number on.
func TestCopyToPostgres(t *testing.T) {
	ctx := context.Background()
	lite, pg := copyPair(t)
	src := openLite(t, lite)
	fx := fillStore(t, src, 30)
	want := readAll(t, src, fx)
	src.Close()
	before, err := os.ReadFile(lite)
	if err != nil {
		t.Fatal(err)
	}

	rep, err := CopyToPostgres(ctx, lite, pg, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The file is read, never written: it stays the fallback.
	if after, err := os.ReadFile(lite); err != nil || string(after) != string(before) {
		t.Errorf("the SQLite file changed in the copy (%v)", err)
	}
	if rep.SchemaVersion != SchemaVersion() {
		t.Errorf("schema version: got %d, want %d", rep.SchemaVersion, SchemaVersion())
	}
	rows := map[string]int64{}
	for _, tc := range rep.Tables {
		rows[tc.Table] = tc.Rows
		if tc.Skipped == "" && len(tc.Checksum) != 64 {
			t.Errorf("table %s: checksum %q", tc.Table, tc.Checksum)
		}
		if tc.Converted != 0 {
			t.Errorf("table %s: %d values converted, want none", tc.Table, tc.Converted)
		}
	}
	for table, n := range map[string]int64{"tickets": 30, "messages": 90, "message_refs": 90, "outbox": 30, "events": 31,
		"settings": 2, "cursors": 2, "fyi": 5, "surveys": 6, "ratings": 12, "corrections": 10, "leases": 0} {
		if got, ok := rows[table]; !ok || got != n {
			t.Errorf("report: table %s: %d rows (listed %v), want %d", table, got, ok, n)
		}
	}
	for _, tc := range rep.Tables {
		if (tc.Table == "leases" || tc.Table == "schema_version") != (tc.Skipped != "") {
			t.Errorf("table %s: skipped %q", tc.Table, tc.Skipped)
		}
	}
	if rep.Rows() != 308 {
		t.Errorf("rows: got %d, want 308", rep.Rows())
	}

	dst, err := Open(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	got := readAll(t, dst, fx)
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s: read back from PostgreSQL differs\n got %s\nwant %s", k, show(got[k]), show(w))
		}
	}

	// New rows continue the ids and the per-tag numbers.
	err = dst.Write(ctx, func(tx *Tx) error {
		tk := &Ticket{Tag: "QUAL", Mailbox: "qual", Category: "qual", Status: StatusOpen, Customer: "new@example.com",
			CreatedAt: copyT0, UpdatedAt: copyT0}
		if err := tx.InsertTicket(ctx, tk); err != nil {
			return err
		}
		if tk.ID != fx.tickets[len(fx.tickets)-1]+1 || tk.Number != 11 {
			t.Errorf("new ticket: id %d, number %d; want id %d, number 11", tk.ID, tk.Number, fx.tickets[len(fx.tickets)-1]+1)
		}
		m := &Message{TicketID: tk.ID, Direction: In, Kind: "inquiry", MessageID: "<new@x>", ContentHash: "new", Raw: []byte("x"), CreatedAt: copyT0}
		if err := tx.InsertMessage(ctx, m); err != nil {
			return err
		}
		if m.ID != fx.messages[len(fx.messages)-1]+1 {
			t.Errorf("new message: id %d, want %d", m.ID, fx.messages[len(fx.messages)-1]+1)
		}
		if err := tx.AddEvent(ctx, tk.ID, copyT0, "opened", ""); err != nil {
			return err
		}
		_, err := tx.AddRating(ctx, &Rating{TicketID: tk.ID, Rating: 3, At: copyT0})
		return err
	})
	if err != nil {
		t.Fatalf("write after the copy: %v", err)
	}
}

func show(v any) string {
	s := fmt.Sprintf("%+v", v)
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// pgTableNames lists the tables in the schema of url.
func pgTableNames(t *testing.T, url string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// What the copy refuses, and that it then leaves PostgreSQL as it was.
func TestCopyToPostgresRefuses(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		// setup prepares the source (already a store with one ticket) and
		// the target; it returns what to undo.
		setup   func(t *testing.T, lite, pg string) func()
		wantErr error
		wantMsg string
		// target: the target keeps one ticket (it was not empty), or
		// stays without tables.
		targetTicket bool
	}{
		{
			name: "target not empty",
			setup: func(t *testing.T, lite, pg string) func() {
				s, err := Open(ctx, pg)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				fillStore(t, s, 1)
				return nil
			},
			wantErr: ErrTargetNotEmpty, wantMsg: "already has maildesk tables", targetTicket: true,
		},
		{
			name: "target with schema_version only",
			setup: func(t *testing.T, lite, pg string) func() {
				conn, err := pgx.Connect(ctx, pg)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(ctx)
				if _, err := conn.Exec(ctx, `CREATE TABLE schema_version (version INTEGER NOT NULL)`); err != nil {
					t.Fatal(err)
				}
				return nil
			},
			wantErr: ErrTargetNotEmpty, wantMsg: "(schema_version)",
		},
		{
			name: "source locked by a daemon",
			setup: func(t *testing.T, lite, pg string) func() {
				release, err := Lock(lite)
				if err != nil {
					t.Fatal(err)
				}
				return release
			},
			wantErr: ErrLocked, wantMsg: "stop maildesk first",
		},
		{
			name:    "source schema older",
			setup:   func(t *testing.T, lite, pg string) func() { setVersion(t, lite, SchemaVersion()-1); return nil },
			wantErr: ErrOlderSchema, wantMsg: "run this maildesk once on the file first",
		},
		{
			name:    "source schema newer",
			setup:   func(t *testing.T, lite, pg string) func() { setVersion(t, lite, SchemaVersion()+1); return nil },
			wantErr: ErrNewerSchema, wantMsg: "copy with the maildesk that wrote it",
		},
		{
			name: "source not a maildesk database",
			setup: func(t *testing.T, lite, pg string) func() {
				db, err := sql.Open("sqlite", lite)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if _, err := db.Exec(`DROP TABLE schema_version`); err != nil {
					t.Fatal(err)
				}
				return nil
			},
			wantMsg: "not a maildesk database",
		},
		{
			name:    "source missing",
			setup:   func(t *testing.T, lite, pg string) func() { os.Remove(lite); return nil },
			wantErr: os.ErrNotExist,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			lite, pg := copyPair(t)
			s := openLite(t, lite)
			fillStore(t, s, 3)
			s.Close()
			if undo := c.setup(t, lite, pg); undo != nil {
				defer undo()
			}
			before := pgTableNames(t, pg)
			_, err := CopyToPostgres(ctx, lite, pg, CopyOptions{})
			if err == nil || (c.wantErr != nil && !errors.Is(err, c.wantErr)) || !strings.Contains(err.Error(), c.wantMsg) {
				t.Fatalf("got %v, want %v with %q", err, c.wantErr, c.wantMsg)
			}
			if after := pgTableNames(t, pg); !reflect.DeepEqual(after, before) {
				t.Errorf("target tables: %v before, %v after", before, after)
			}
			if c.targetTicket {
				d, err := Open(ctx, pg)
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				d.Read(ctx, func(tx *Tx) error {
					ts, err := tx.Tickets(ctx, TicketFilter{})
					if err != nil || len(ts) != 1 {
						t.Errorf("target tickets: got %d, %v; want its one ticket", len(ts), err)
					}
					return nil
				})
			}
		})
	}
}

func setVersion(t *testing.T, path string, v int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE schema_version SET version = ?`, v); err != nil {
		t.Fatal(err)
	}
}

// Text PostgreSQL's text cannot hold is stored with U+FFFD, counted per
// table, and verified as converted; a key whose conversion changes its
// order (message_refs) still verifies; raw bytes stay verbatim.
func TestCopyToPostgresConvertsText(t *testing.T) {
	ctx := context.Background()
	lite, pg := copyPair(t)
	src := openLite(t, lite)
	bad := "a\x00b\xffc"
	// In SQLite "a\xf0…" sorts before "a\xff"; converted, "a\uFFFD" (ef bf bd)
	// sorts before "a\xf0…".
	refs := []string{"a\xff", "a\U0001F600", "plain@x"}
	raw := []byte("Subject: x\r\n\r\na\x00b\xffc")
	var tid, mid int64
	err := src.Write(ctx, func(tx *Tx) error {
		tk := &Ticket{Tag: "T", Mailbox: "m", Status: StatusOpen, Customer: "kim@example.co.kr", Subject: bad,
			CustomerName: "\xb1\xe8", CreatedAt: copyT0, UpdatedAt: copyT0}
		if err := tx.InsertTicket(ctx, tk); err != nil {
			return err
		}
		tid = tk.ID
		m := &Message{TicketID: tk.ID, Direction: In, Kind: "inquiry", MessageID: "<\xffbad@x>", ContentHash: "h",
			Subject: bad, Text: "fine", Refs: refs, Raw: raw, CreatedAt: copyT0}
		if err := tx.InsertMessage(ctx, m); err != nil {
			return err
		}
		mid = m.ID
		return tx.SetSetting(ctx, "bin", []byte{0, 0xff, 0xfe})
	})
	if err != nil {
		t.Fatal(err)
	}
	src.Close()
	rep, err := CopyToPostgres(ctx, lite, pg, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	conv := map[string]int64{}
	for _, tc := range rep.Tables {
		conv[tc.Table] = tc.Converted
	}
	if want := map[string]int64{"tickets": 2, "messages": 2, "message_refs": 1, "settings": 0}; !mapHas(conv, want) {
		t.Errorf("converted: got %v, want %v", conv, want)
	}
	if rep.Converted() != 5 {
		t.Errorf("converted in all: got %d, want 5", rep.Converted())
	}
	dst, err := Open(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	err = dst.Read(ctx, func(tx *Tx) error {
		tk, err := tx.Ticket(ctx, tid)
		if err != nil {
			return err
		}
		if tk.Subject != "a\uFFFDb\uFFFDc" || tk.CustomerName != "\uFFFD" {
			t.Errorf("ticket: subject %q, name %q", tk.Subject, tk.CustomerName)
		}
		raw2, err := tx.MessageRaw(ctx, mid)
		if err != nil || string(raw2) != string(raw) {
			t.Errorf("raw: got %q, %v; want %q", raw2, err, raw)
		}
		// The Message-ID as a reply names it still finds the ticket:
		// the store converts the lookup alike.
		if found, err := tx.TicketByReferences(ctx, []string{"<\xffbad@x>"}); err != nil || found != tid {
			t.Errorf("TicketByReferences: got %d, %v; want %d", found, err, tid)
		}
		rows, err := tx.query(ctx, `SELECT ref FROM message_refs WHERE message_id = ? ORDER BY ref`, mid)
		if err != nil {
			return err
		}
		var got2 []string
		for rows.Next() {
			var r string
			rows.Scan(&r)
			got2 = append(got2, r)
		}
		rows.Close()
		if want := []string{"a\uFFFD", "a\U0001F600", "plain@x"}; !reflect.DeepEqual(got2, want) {
			t.Errorf("references: got %q, want %q", got2, want)
		}
		v, err := tx.Setting(ctx, "bin")
		if err != nil || string(v) != "\x00\xff\xfe" {
			t.Errorf("setting bin: got %q, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mapHas(got, want map[string]int64) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// A copy that does not read back as the file holds it is rolled back:
// PostgreSQL is left without a table, and the error names the table.
func TestCopyToPostgresMismatchRollsBack(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name, sql, want string
	}{
		{"changed text", `UPDATE tickets SET subject = 'tampered' WHERE id = 2`, "table tickets: checksum"},
		{"changed bytes", `UPDATE messages SET raw = raw || '\x00'::bytea WHERE id = 1`, "table messages: checksum"},
		{"lost row", `DELETE FROM events WHERE id = (SELECT max(id) FROM events)`, "table events: 5 rows in the SQLite file, 4 in PostgreSQL"},
		{"lease appeared", `INSERT INTO leases VALUES ('mailbox x', 'h', 0, 0)`, "table leases: 1 rows in PostgreSQL, want none"},
	} {
		t.Run(c.name, func(t *testing.T) {
			lite, pg := copyPair(t)
			src := openLite(t, lite)
			fillStore(t, src, 4)
			src.Close()
			copyHookBeforeVerify = func(ctx context.Context, tx pgx.Tx) error {
				_, err := tx.Exec(ctx, c.sql)
				return err
			}
			defer func() { copyHookBeforeVerify = nil }()
			_, err := CopyToPostgres(ctx, lite, pg, CopyOptions{})
			if !errors.Is(err, ErrCopyMismatch) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrCopyMismatch naming %q", err, c.want)
			}
			if names := pgTableNames(t, pg); len(names) != 0 {
				t.Errorf("target tables after the rollback: %v, want none", names)
			}
		})
	}
}

// The canonical encoding keeps values of different kinds and lengths
// apart.
func TestEncodeValue(t *testing.T) {
	seen := map[string]any{}
	for _, v := range []any{nil, int64(0), int64(1), int64(-1), "", "0", "\x00", []byte{}, []byte("0"), float64(1), "ab"} {
		k := string(encodeValue(nil, v))
		if prev, ok := seen[k]; ok {
			t.Errorf("%#v and %#v encode alike", prev, v)
		}
		seen[k] = v
	}
	// A row of ("a", "bc") is not one of ("ab", "c").
	if string(encodeValue(encodeValue(nil, "a"), "bc")) == string(encodeValue(encodeValue(nil, "ab"), "c")) {
		t.Error("text boundaries are lost")
	}
}

// BenchmarkCopyToPostgres copies a database of about 57,000 rows (5,000
// tickets with messages of 2 KB raw each, references, outbox, events and
// the rest of fillStore's spread) and reports rows/s. It starts a
// cluster of its own when the run has none (a benchmark runs once, on
// SQLite; see rerunOnPostgres):
//
//	go test ./store -run '^$' -bench CopyToPostgres -benchtime 3x
func BenchmarkCopyToPostgres(b *testing.B) {
	ctx := context.Background()
	base := postgres.Base()
	if base == "" {
		srv, err := postgres.Start()
		if err != nil {
			b.Skip("no PostgreSQL: ", err)
		}
		b.Cleanup(srv.Stop)
		base = srv.URL()
	}
	tickets := 5000
	if testing.Short() {
		tickets = 500
	}
	lite := filepath.Join(b.TempDir(), "maildesk.db")
	s := openLite(b, lite)
	fillStore(b, s, tickets)
	s.Close()
	fi, err := os.Stat(lite)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var rows int64
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		url, drop, err := postgres.NewSchema(ctx, base)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, err := CopyToPostgres(ctx, lite, url, CopyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		rows += rep.Rows()
		elapsed += rep.Elapsed
		drop()
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(rows)/float64(b.N), "rows")
	b.ReportMetric(float64(fi.Size())/(1<<20), "MB")
}

// A table of another application in the target schema neither stops the
// copy nor is touched by it (its identity sequence included).
func TestCopyToPostgresBesideOtherTables(t *testing.T) {
	ctx := context.Background()
	lite, pg := copyPair(t)
	s := openLite(t, lite)
	fillStore(t, s, 3)
	s.Close()
	conn, err := pgx.Connect(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE other_app (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v TEXT);
		INSERT INTO other_app (id, v) VALUES (500, 'kept')`); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyToPostgres(ctx, lite, pg, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := conn.QueryRow(ctx, `INSERT INTO other_app (v) VALUES ('new') RETURNING id`).Scan(&id); err != nil || id != 1 {
		t.Errorf("other_app's sequence: next id %d, %v; want 1, as it was", id, err)
	}
}
