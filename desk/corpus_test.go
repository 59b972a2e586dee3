package desk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

type loreThread struct {
	Messages []struct {
		File      string `json:"file"`
		MessageID string `json:"message_id"`
	} `json:"messages_in_archive_order"`
}

// TestCorpusLoreThreads delivers the 16 complete Outlook/Korean mailing-list
// threads into one mailbox: each must become exactly one ticket.
func TestCorpusLoreThreads(t *testing.T) {
	dir := filepath.Join(maildesktest.Corpus(t), "lore-linux-samsung-soc-threads")
	f := newFixture(t)
	threads, err := filepath.Glob(filepath.Join(dir, "thread*"))
	if err != nil || len(threads) == 0 {
		t.Fatalf("no threads in %s: %v", dir, err)
	}
	uid := uint32(0)
	var want [][]string // message-ids per thread
	for _, td := range threads {
		var th loreThread
		b, err := os.ReadFile(filepath.Join(td, "thread.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &th); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range th.Messages {
			raw, err := os.ReadFile(filepath.Join(td, m.File))
			if err != nil {
				t.Fatal(err)
			}
			uid++
			f.deliver("fta-pass", 1, uid, raw)
			ids = append(ids, strings.Trim(m.MessageID, "<>"))
		}
		want = append(want, ids)
	}
	s := f.state("fta-pass")
	ticketOf := map[string]int64{}
	for id, ms := range s.messages {
		for _, m := range ms {
			if m.Direction == store.In {
				ticketOf[m.MessageID] = id
			}
		}
	}
	for i, ids := range want {
		tickets := map[int64]bool{}
		for _, id := range ids {
			tickets[ticketOf[id]] = true
		}
		if len(tickets) != 1 || tickets[0] {
			t.Errorf("thread %d (%d messages): on tickets %v, want exactly one", i+1, len(ids), tickets)
		}
	}
	if len(s.tickets) != len(threads) {
		t.Errorf("tickets: got %d, want %d (one per thread)", len(s.tickets), len(threads))
	}
	// List mail opens tickets for staff but is never acknowledged.
	if len(s.outbox) != 0 {
		t.Errorf("acknowledgements to list mail: got %d, want 0", len(s.outbox))
	}
	t.Logf("%d threads, %d messages -> %d tickets", len(threads), uid, len(s.tickets))
}

// TestCorpusIntake pushes every file of the corpus through intake, mail or
// not: nothing may fail or panic, everything is stored, and what could not be
// parsed is quarantined with a reason.
func TestCorpusIntake(t *testing.T) {
	dir := maildesktest.Corpus(t)
	f := newFixture(t)
	uid := uint32(0)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		uid++
		if err := f.desk.Deliver(context.Background(), "fta-pass", 1, uid, raw); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s := f.state("fta-pass")
	if s.cursor.LastUID != uid {
		t.Fatalf("cursor: got %d, want %d (every file stored or recognised as stored)", s.cursor.LastUID, uid)
	}
	reasons := map[string]int{}
	readAround := 0 // taken in as mail, with defects
	for _, tk := range s.tickets {
		for _, m := range s.messages[tk.ID] {
			if m.Quarantine != "" {
				reasons[quarantineKind(m.Quarantine)]++
			} else if len(m.Defects) > 0 {
				readAround++
			}
		}
	}
	var counts map[string]int
	err = f.store.Read(context.Background(), func(tx *store.Tx) (err error) {
		counts, err = tx.MessageCounts(context.Background())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for r, n := range reasons {
		lines = append(lines, strings.TrimSpace(r)+": "+strconv.Itoa(n))
	}
	sort.Strings(lines)
	t.Logf("%d files, %d tickets, messages stored %v; %d on tickets read around defects; quarantine reasons:\n  %s",
		uid, len(s.tickets), counts, readAround, strings.Join(lines, "\n  "))
	// Held numbers. Measured 2026-11-25: 54 of 2,873 files quarantined;
	// 2026-12-04, once what can be read is read around defects: 15 (the
	// rest: a multipart whose boundary is not in the body, a text part
	// with broken base64).
	if n := counts["in/quarantined"]; n > 15 {
		t.Errorf("quarantined: got %d, want at most 15", n)
	}
	if readAround == 0 {
		t.Error("no mail on a ticket was read around a defect; the corpus has dozens")
	}
	if uid < 2500 {
		t.Errorf("files read: got %d, want the whole corpus (2,800+)", uid)
	}
}

// quarantineKind groups quarantine reasons by their first words.
func quarantineKind(reason string) string {
	if i := strings.IndexAny(reason, "\"(:"); i > 0 {
		if j := strings.Index(reason[i+1:], ":"); j >= 0 && reason[i] == ':' {
			return reason[:i+1+j]
		}
		return reason[:i]
	}
	return reason
}

// splitMbox splits an mbox file into messages (mboxo: "From " lines start
// a message; ">From " is unquoted).
func splitMbox(b []byte) [][]byte {
	var msgs [][]byte
	var cur []byte
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if strings.HasPrefix(line, "From ") {
			if cur != nil {
				msgs = append(msgs, cur)
			}
			cur = []byte{}
			continue
		}
		if cur == nil {
			continue
		}
		if strings.HasPrefix(line, ">From ") {
			line = line[1:]
		}
		cur = append(cur, line...)
	}
	if cur != nil {
		msgs = append(msgs, cur)
	}
	return msgs
}

// conversations delivers msgs in order into a fresh desk and returns, for
// each message, the ticket it landed on (0: none).
func conversations(t *testing.T, msgs [][]byte) []int64 {
	t.Helper()
	f := newFixture(t)
	for i, raw := range msgs {
		// The imaptest mailboxes have no From: header (the mbox separator
		// names user@domain); give them one, or they are null-sender mail.
		if !bytes.Contains(raw, []byte("\nFrom:")) && !bytes.HasPrefix(raw, []byte("From:")) {
			raw = append([]byte("From: user@domain\n"), raw...)
		}
		f.deliver("fta-pass", 1, uint32(i+1), raw)
	}
	s := f.state("fta-pass")
	ticketOfRow := map[int64]int64{}
	for tid, ms := range s.messages {
		for _, m := range ms {
			ticketOfRow[m.ID] = tid
		}
	}
	out := make([]int64, len(msgs))
	ctx := context.Background()
	err := f.store.Read(ctx, func(tx *store.Tx) error {
		for i := range msgs {
			row, err := tx.MessageByUID(ctx, "fta-pass", 1, uint32(i+1))
			if err != nil {
				continue // a duplicate of an earlier message: not stored again
			}
			out[i] = ticketOfRow[row]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// samePartition reports whether expected (groups of message indexes) and
// the tickets got put exactly the same messages together.
func samePartition(groups [][]int, got []int64) (matched int) {
	for _, g := range groups {
		tk := got[g[0]]
		ok := tk != 0
		for _, i := range g {
			ok = ok && got[i] == tk
		}
		// ... and the ticket holds nothing from another group.
		for i, other := range got {
			if other == tk && !containsInt(g, i) {
				ok = false
			}
		}
		if ok {
			matched++
		}
	}
	return matched
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// parseThreadResponse turns the top level of an IMAP THREAD response,
// "(3 2)(1)" or "((1)(2))", into groups of 0-based message indexes.
func parseThreadResponse(s string) [][]int {
	var groups [][]int
	depth := 0
	var cur []int
	num := -1
	for _, r := range s + " " {
		switch {
		case r >= '0' && r <= '9':
			if num < 0 {
				num = 0
			}
			num = num*10 + int(r-'0')
			continue
		}
		if num >= 0 {
			cur = append(cur, num-1)
			num = -1
		}
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				groups = append(groups, cur)
				cur = nil
			}
		}
	}
	return groups
}

// TestCorpusThreadingCases compares tickets with the expected threads of
// dovecot's imaptest THREAD=REFERENCES cases and CPAN Mail::Thread's JWZ
// trees, where a conversation is what a ticket means. Where a ticket
// deliberately differs, the case is listed with the reason; every other
// case must give exactly the expected conversations.
func TestCorpusThreadingCases(t *testing.T) {
	dir := maildesktest.Corpus(t)
	deliberate := map[string]string{
		// b names a in References; the algorithm drops that link to break
		// the b<->c loop. A ticket keeps the explicit reference.
		"imaptest/thread": "one ticket for a, b and c",
		// Two mails with one Message-ID: one conversation for a helpdesk
		// (a resend), two threads for RFC 5256.
		"imaptest/thread2": "same Message-ID joins",
		// Customers of one mailing list who answer the same post, and
		// replies threaded by subject alone across senders, stay apart:
		// a ticket is one customer's conversation.
		"mail-thread/t/1.t": "different senders under a parent never seen",
		"mail-thread/t/3.t": "different senders under a parent never seen",
		"mail-thread/t/9.t": "subject-only grouping across senders",
	}
	type result struct {
		name          string
		groups        [][]int
		got           []int64
		matched       int
		expectedShape string
	}
	var results []result

	// imaptest: the first THREAD response of each case.
	cases, _ := filepath.Glob(filepath.Join(dir, "dovecot-imaptest", "src", "tests", "thread*"))
	for _, c := range cases {
		if strings.HasSuffix(c, ".mbox") || strings.Contains(c, "orderedsubject") {
			continue
		}
		script, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		mbox, err := os.ReadFile(c + ".mbox")
		if err != nil {
			continue
		}
		msgs := splitMbox(mbox)
		if appends := strings.Count(strings.Split(string(script), "thread references")[0], "ok append"); appends > 0 {
			msgs = msgs[:appends]
		}
		var resp string
		for _, line := range strings.Split(string(script), "\n") {
			if l := strings.ToLower(line); strings.HasPrefix(l, "* thread ") {
				resp = line[len("* thread "):]
				break
			}
		}
		groups := parseThreadResponse(resp)
		got := conversations(t, msgs)
		results = append(results, result{"imaptest/" + filepath.Base(c), groups, got, samePartition(groups, got), resp})
	}

	// Mail::Thread: the subtrees under each root of the expected trees.
	var expected map[string]struct {
		Mbox string `json:"mbox"`
		Tree []struct {
			Depth     int    `json:"depth"`
			MessageID string `json:"message_id"`
		} `json:"expected_tree_preorder"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "gitpan-Mail-Thread", "EXPECTED-threads.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	for name, e := range expected {
		if len(e.Tree) == 0 || name == "t/open-ended.t" {
			continue
		}
		mbox, err := os.ReadFile(filepath.Join(dir, "gitpan-Mail-Thread", e.Mbox))
		if err != nil {
			t.Fatal(err)
		}
		msgs := splitMbox(mbox)
		index := map[string]int{}
		for i, raw := range msgs {
			if m, _ := message.Parse(raw); m != nil && m.MessageID != "" {
				index[m.MessageID] = i
			}
		}
		var groups [][]int
		for _, n := range e.Tree {
			if n.Depth == 0 {
				groups = append(groups, nil)
			}
			if i, ok := index[n.MessageID]; ok {
				groups[len(groups)-1] = append(groups[len(groups)-1], i)
			}
		}
		var nonEmpty [][]int
		for _, g := range groups {
			if len(g) > 0 {
				nonEmpty = append(nonEmpty, g)
			}
		}
		got := conversations(t, msgs)
		results = append(results, result{"mail-thread/" + name, nonEmpty, got, samePartition(nonEmpty, got), fmt.Sprint(nonEmpty)})
	}

	sort.Slice(results, func(i, j int) bool { return results[i].name < results[j].name })
	exact := 0
	for _, r := range results {
		ok := r.matched == len(r.groups)
		why, isDeliberate := deliberate[r.name]
		switch {
		case ok:
			exact++
			if isDeliberate {
				t.Errorf("%s: now matches %s; remove it from the deliberate differences", r.name, r.expectedShape)
			}
		case isDeliberate:
			t.Logf("%s: differs by design (%s): expected %s, tickets %v", r.name, why, r.expectedShape, r.got)
		default:
			t.Errorf("%s: expected conversations %s, tickets %v", r.name, r.expectedShape, r.got)
		}
	}
	t.Logf("%d cases: %d give exactly the expected conversations, %d differ by design", len(results), exact, len(deliberate))
	if len(results) < 14 {
		t.Errorf("cases read: got %d, want the 8 imaptest and 7 Mail::Thread cases", len(results))
	}
}

// TestCorpusPreviewMatchesIntake: for every file of the shared corpus,
// what `maildesk rules test` says (Preview, on the database as it is just
// before) is what intake then does: the same action, ticket, category,
// handler and acknowledgement. Both run classify; this holds that nothing
// around it (a second parse, a Desk built differently, a decision taken
// outside classify) makes them drift apart.
func TestCorpusPreviewMatchesIntake(t *testing.T) {
	dir := maildesktest.Corpus(t)
	f := newFixture(t)
	var got Decision
	intakeDecided = func(_ uint32, dec Decision) { got = dec }
	t.Cleanup(func() { intakeDecided = nil })
	mboxes := []Mailbox{
		{Name: "fta-pass", Address: "fta-pass@origin.or.kr"},
		{Name: "qualification", Address: "qualification@origin.or.kr"},
		{Name: "education", Address: "education@origin.or.kr"},
		{Name: "correction", Address: "correction@origin.or.kr"},
	}
	ctx := context.Background()
	uid, mismatches := uint32(0), 0
	actions := map[Action]int{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		p, err := Preview(ctx, PreviewInput{Store: f.store, Rules: f.desk.rules.Load(), Templates: f.desk.templates.Load(),
			Mailboxes: mboxes, Location: f.desk.loc, Mailbox: "fta-pass", Raw: raw, Now: f.clock.Now()})
		if err != nil {
			t.Errorf("%s: preview: %v", path, err)
			return nil
		}
		uid++
		got = Decision{}
		if err := f.desk.Deliver(ctx, "fta-pass", 1, uid, raw); err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		tid := int64(0)
		if got.Ticket != nil {
			tid = got.Ticket.ID
		}
		cat, handler := "", ""
		if got.Action == ActNewTicket {
			cat, handler = got.Route.Category.ID, contactOf(got.Route.Handler).ID
		} else if got.Ticket != nil {
			cat, handler = got.Ticket.Category, got.Ticket.Handler.ID
		}
		actions[got.Action]++
		if p.Action != got.Action || p.TicketID != tid || p.Category != cat || p.Handler.ID != handler || p.Acknowledge != got.Ack {
			mismatches++
			t.Errorf("%s: rules test says %s ticket %d %s/%s ack %v; intake did %s ticket %d %s/%s ack %v", path,
				p.Action, p.TicketID, p.Category, p.Handler.ID, p.Acknowledge, got.Action, tid, cat, handler, got.Ack)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d corpus files: %d mismatches; actions %v", uid, mismatches, actions)
	if uid < 1000 {
		t.Errorf("only %d corpus files read", uid)
	}
}
