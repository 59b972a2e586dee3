package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestLongIDLists: a lookup by a caller's list of ids answers for lists of
// any length (SQLite refuses more than 32,766 variables in one statement)
// exactly as the one-statement query did: the newest matching message
// wins wherever in the list, and in whichever chunk, its id stands.
func TestLongIDLists(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)

	// Two tickets of one customer; on each, a received message naming a
	// reference and a staff notice sent to the handler. Ticket B's rows
	// are the newer ones. A third ticket holds the same kinds of rows from
	// and to other people, which must never match.
	var a, b, other int64
	err := s.Write(ctx, func(tx *Tx) error {
		for i, tid := range []*int64{&a, &b, &other} {
			customer, handler := "kim@example.co.kr", "h@x"
			if tid == &other {
				customer, handler = "lee@example.co.kr", "j@x"
			}
			tk := &Ticket{Tag: "T", Mailbox: "m", Status: StatusOpen, Customer: customer, CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertTicket(ctx, tk); err != nil {
				return err
			}
			*tid = tk.ID
			in := &Message{TicketID: tk.ID, Direction: In, Kind: "inquiry", Mailbox: "m", MessageID: fmt.Sprintf("in%d@x", i),
				ContentHash: fmt.Sprint("in", i), From: "Kim@example.co.kr", FromKey: "kim@example.co.kr", Refs: []string{fmt.Sprintf("ref%d@x", i)},
				Text: fmt.Sprintf("text %d", i), Raw: []byte("x"), CreatedAt: now}
			if tid == &other {
				in.From, in.FromKey, in.Kind = customer, customer, "other-kind"
			}
			out := &Message{TicketID: tk.ID, Direction: Out, Kind: "staff", MessageID: fmt.Sprintf("out%d@x", i),
				ContentHash: fmt.Sprint("out", i), To: []string{handler}, ToKey: handler, Raw: []byte("x"), CreatedAt: now}
			for _, m := range []*Message{in, out} {
				if err := tx.InsertMessage(ctx, m); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	type lookup struct {
		name       string
		run        func(*Tx, []string) (int64, error)
		old        string // the one-statement query this replaced, %s for its list
		oldArgs    []any  // its arguments before the list
		older      string // matches ticket a
		newer      string // matches ticket b
		elsewheres string // matches only on the other ticket: never an answer
	}
	lookups := []lookup{
		{name: "TicketByReferences",
			run: func(tx *Tx, ids []string) (int64, error) { return tx.TicketByReferences(ctx, ids) },
			old: `SELECT ticket_id FROM messages WHERE message_id IN (%s) AND ticket_id IS NOT NULL
				ORDER BY id DESC LIMIT 1`,
			older: "out0@x", newer: "in1@x", elsewheres: "nobody@x"},
		{name: "TicketBySharedReference",
			run: func(tx *Tx, ids []string) (int64, error) {
				return tx.TicketBySharedReference(ctx, "kim@example.co.kr", ids)
			},
			old: `SELECT m.ticket_id FROM message_refs r JOIN messages m ON m.id = r.message_id
				WHERE lower(m.from_addr) = ? AND m.ticket_id IS NOT NULL AND r.ref IN (%s)
				ORDER BY m.id DESC LIMIT 1`,
			oldArgs: []any{"kim@example.co.kr"},
			older:   "ref0@x", newer: "ref1@x", elsewheres: "ref2@x"},
		{name: "TicketOfMailTo",
			run: func(tx *Tx, ids []string) (int64, error) { return tx.TicketOfMailTo(ctx, "staff", "h@x", ids) },
			old: `SELECT ticket_id FROM messages
				WHERE direction = 'out' AND kind = ? AND lower(to_addrs) = ? AND ticket_id IS NOT NULL
				AND message_id IN (%s) ORDER BY id DESC LIMIT 1`,
			oldArgs: []any{"staff", "h@x"},
			older:   "out0@x", newer: "out1@x", elsewheres: "out2@x"},
	}

	type tcase struct {
		name string
		ids  func(l lookup) []string
		want func(l lookup) int64 // 0: ErrNotFound
	}
	var cases []tcase
	for _, n := range []int{0, 1, 499, 500, 501, 40000} {
		cases = append(cases, tcase{fmt.Sprintf("%d/none", n),
			func(lookup) []string { return filler(n) },
			func(lookup) int64 { return 0 }})
		if n == 0 {
			continue
		}
		for _, at := range []struct {
			name string
			i    int
		}{{"first", 0}, {"middle", n / 2}, {"last", n - 1}} {
			cases = append(cases, tcase{fmt.Sprintf("%d/%s", n, at.name),
				func(l lookup) []string { ids := filler(n); ids[at.i] = l.older; return ids },
				func(lookup) int64 { return a }})
			cases = append(cases, tcase{fmt.Sprintf("%d/%s-elsewhere", n, at.name),
				func(l lookup) []string { ids := filler(n); ids[at.i] = l.elsewheres; return ids },
				func(lookup) int64 { return 0 }})
		}
		if n < 2 {
			continue
		}
		// Several match: the newest wins whichever comes first in the
		// list, also when they fall in different chunks.
		cases = append(cases,
			tcase{fmt.Sprintf("%d/several-newer-first", n),
				func(l lookup) []string { ids := filler(n); ids[0], ids[n-1] = l.newer, l.older; return ids },
				func(lookup) int64 { return b }},
			tcase{fmt.Sprintf("%d/several-newer-last", n),
				func(l lookup) []string { ids := filler(n); ids[0], ids[n-1] = l.older, l.newer; return ids },
				func(lookup) int64 { return b }},
			tcase{fmt.Sprintf("%d/several-with-elsewhere", n),
				func(l lookup) []string {
					ids := filler(n)
					ids[0], ids[n/2], ids[n-1] = l.elsewheres, l.older, l.elsewheres
					return ids
				},
				func(lookup) int64 { return a }},
		)
	}
	cases = append(cases, tcase{"40000/one-id-repeated",
		func(l lookup) []string { return strings.Split(strings.Repeat(l.older+" ", 40000), " ")[:40000] },
		func(lookup) int64 { return a }})

	for _, l := range lookups {
		for _, c := range cases {
			t.Run(l.name+"/"+c.name, func(t *testing.T) {
				ids := c.ids(l)
				want := c.want(l)
				err := s.Read(ctx, func(tx *Tx) error {
					got, err := l.run(tx, ids)
					if want == 0 {
						if !errors.Is(err, ErrNotFound) {
							t.Errorf("got %d, %v; want ErrNotFound", got, err)
						}
					} else if err != nil || got != want {
						t.Errorf("got %d, %v; want %d", got, err, want)
					}
					// The one-statement query, where SQLite can still run
					// it, gives the same answer.
					if len(ids) == 0 || len(ids) > 30000 {
						return nil
					}
					args := append([]any(nil), l.oldArgs...)
					for _, id := range ids {
						args = append(args, id)
					}
					var old int64
					err = tx.tx.QueryRowContext(ctx, s.bind(fmt.Sprintf(l.old, "?"+strings.Repeat(", ?", len(ids)-1))), args...).Scan(&old)
					if err != nil && !errors.Is(err, sql.ErrNoRows) {
						return err
					}
					if old != want {
						t.Errorf("one-statement query: got %d, want %d", old, want)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestInChunks: every value is bound once or more, in pieces of at most
// maxInList, with as many marks in the list as arguments after the prefix.
func TestInChunks(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 255, 257, 499, 500, 501, 1000, 40000} {
		vals := filler(n)
		seen := map[any]bool{}
		sizes := map[int]bool{}
		err := inChunks([]any{"prefix"}, vals, func(list string, args []any) error {
			marks := strings.Count(list, "?")
			if marks != len(args)-1 || args[0] != "prefix" || marks > maxInList || marks != paddedLen(marks) {
				t.Errorf("n=%d: %d marks for %d arguments after the prefix %v", n, marks, len(args)-1, args[0])
			}
			sizes[marks] = true
			for _, a := range args[1:] {
				seen[a] = true
			}
			return nil
		})
		if err != nil || len(seen) != n {
			t.Errorf("n=%d: %d distinct values bound, %v; want %d", n, len(seen), err, n)
		}
		if len(sizes) > 2 {
			t.Errorf("n=%d: lists of %d lengths, want a full one and one padded rest", n, len(sizes))
		}
	}
}

// filler returns n distinct ids that match nothing stored.
func filler(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("filler%d@example.com", i)
	}
	return ids
}

// TestKindAndStatusLists: the lookups by a list the code gives (kinds,
// statuses: not from mail, so not chunked) answer for any length up to
// maxInList, wherever in the list the match stands: the latest message of
// any of the kinds, the newest tickets of any of the statuses. A longer
// list is refused, not cut short.
func TestKindAndStatusLists(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)
	var tid int64
	var open, answered []int64 // newest first
	err := s.Write(ctx, func(tx *Tx) error {
		for i := range 10 {
			tk := &Ticket{Tag: "T", Mailbox: "m", Status: StatusOpen, Customer: "c@x", CreatedAt: now, UpdatedAt: now}
			if i%2 == 1 {
				tk.Status = StatusAnswered
			}
			if err := tx.InsertTicket(ctx, tk); err != nil {
				return err
			}
			if tk.Status == StatusOpen {
				open = append([]int64{tk.ID}, open...)
			} else {
				answered = append([]int64{tk.ID}, answered...)
			}
			tid = tk.ID
		}
		for i, kind := range []string{"inquiry", "followup", "automatic"} {
			m := &Message{TicketID: tid, Direction: In, Kind: kind, Mailbox: "m", MessageID: fmt.Sprintf("%d@x", i),
				ContentHash: fmt.Sprint(i), Text: kind + " text", Raw: []byte("x"), CreatedAt: now}
			if err := tx.InsertMessage(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 2, 3, 499, 500} {
		for _, at := range []string{"first", "middle", "last"} {
			place := func(vals []string, v ...string) []string {
				pos := map[string]int{"first": 0, "middle": n / 2, "last": n - 1}[at]
				for _, v := range v {
					vals[pos] = v
					pos = (pos + n/3 + 1) % n // elsewhere in the list
				}
				return vals
			}
			name := fmt.Sprintf("%d/%s", n, at)
			err := s.Read(ctx, func(tx *Tx) error {
				text, err := tx.LastReceivedText(ctx, tid, filler(n)...)
				if err != nil || text != "" {
					t.Errorf("%s: LastReceivedText of no kind stored: got %q, %v; want \"\"", name, text, err)
				}
				ts, err := tx.Tickets(ctx, TicketFilter{Status: filler(n)})
				if n > 0 && (err != nil || len(ts) != 0) { // no status at all lists every ticket
					t.Errorf("%s: Tickets of no status stored: got %d tickets, %v; want none", name, len(ts), err)
				}
				if n == 0 {
					return nil
				}
				text, err = tx.LastReceivedText(ctx, tid, place(filler(n), "inquiry")...)
				if err != nil || text != "inquiry text" {
					t.Errorf("%s: LastReceivedText: got %q, %v; want \"inquiry text\"", name, text, err)
				}
				ts, err = tx.Tickets(ctx, TicketFilter{Status: place(filler(n), StatusAnswered), Limit: 3})
				if got := ticketIDs(ts); err != nil || fmt.Sprint(got) != fmt.Sprint(answered[:3]) {
					t.Errorf("%s: Tickets answered: got %v, %v; want %v", name, got, err, answered[:3])
				}
				if n < 2 {
					return nil
				}
				text, err = tx.LastReceivedText(ctx, tid, place(filler(n), "followup", "inquiry")...)
				if err != nil || text != "followup text" {
					t.Errorf("%s: LastReceivedText of two kinds: got %q, %v; want the later one's", name, text, err)
				}
				want := []int64{10, 9, 8, 7}
				ts, err = tx.Tickets(ctx, TicketFilter{Status: place(filler(n), StatusOpen, StatusAnswered), Limit: 4})
				if got := ticketIDs(ts); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: Tickets of two statuses: got %v, %v; want %v", name, got, err, want)
				}
				ts, err = tx.Tickets(ctx, TicketFilter{Status: place(filler(n), StatusAnswered, StatusOpen)})
				if got := ticketIDs(ts); err != nil || len(got) != 10 || got[0] != 10 || got[9] != 1 {
					t.Errorf("%s: all Tickets of two statuses: got %v, %v; want 10 to 1", name, got, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	err = s.Read(ctx, func(tx *Tx) error {
		long := append(filler(maxInList), "inquiry", StatusOpen)
		if text, err := tx.LastReceivedText(ctx, tid, long...); err == nil {
			t.Errorf("LastReceivedText of %d kinds: got %q, want an error", len(long), text)
		}
		if ts, err := tx.Tickets(ctx, TicketFilter{Status: long}); err == nil {
			t.Errorf("Tickets of %d statuses: got %d tickets, want an error", len(long), len(ts))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func ticketIDs(ts []*Ticket) []int64 {
	var ids []int64
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	return ids
}

// TestInsertMessageManyRefs: a mail naming 40,000 references is stored
// with all of them, and a later mail from its sender threads by any.
func TestInsertMessageManyRefs(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)
	refs := filler(40000)
	refs = append(refs, refs[:100]...) // and some twice
	var tid int64
	err := s.Write(ctx, func(tx *Tx) error {
		tk := &Ticket{Tag: "T", Mailbox: "m", Status: StatusOpen, Customer: "c@x", CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertTicket(ctx, tk); err != nil {
			return err
		}
		tid = tk.ID
		return tx.InsertMessage(ctx, &Message{TicketID: tk.ID, Direction: In, Kind: "inquiry", Mailbox: "m",
			MessageID: "flood@x", ContentHash: "h", From: "c@x", FromKey: "c@x", Refs: refs, Raw: []byte("x"), CreatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM message_refs`).Scan(&n); err != nil || n != 40000 {
		t.Errorf("stored references: got %d, %v; want 40000", n, err)
	}
	err = s.Read(ctx, func(tx *Tx) error {
		for _, ref := range []string{refs[0], refs[20000], refs[39999]} {
			got, err := tx.TicketBySharedReference(ctx, "c@x", []string{ref})
			if err != nil || got != tid {
				t.Errorf("by reference %s: got %d, %v; want %d", ref, got, err, tid)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
