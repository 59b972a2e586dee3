package message

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseMsgIDsCapped(t *testing.T) {
	ids := func(from, to int) []string {
		var out []string
		for i := from; i <= to; i++ {
			out = append(out, fmt.Sprintf("%d@x", i))
		}
		return out
	}
	bracket := func(ids []string) string { return "<" + strings.Join(ids, "> <") + ">" }
	long := strings.Repeat("a", MaxIDLen-2) + "@x"
	for _, tt := range []struct {
		name       string
		in         string
		head, tail int
		want       []string
	}{
		{"under the cap", bracket(ids(1, 5)), 2, 48, ids(1, 5)},
		{"exactly the cap", bracket(ids(1, 50)), 2, 48, ids(1, 50)},
		{"middle dropped", bracket(ids(1, 100)), 2, 48, append(ids(1, 2), ids(53, 100)...)},
		{"bare ids capped too", strings.Join(ids(1, 10), " "), 1, 2, []string{"1@x", "9@x", "10@x"}},
		{"duplicates count once", "<a@x> <a@x> <b@x> <a@x> <c@x> <b@x>", 2, 48, []string{"a@x", "b@x", "c@x"}},
		{"a duplicate of a head id at the end", "<a@x> <b@x> <c@x> <d@x> <a@x>", 1, 2, []string{"a@x", "c@x", "d@x"}},
		// An id pushed out of the tail and seen again is the most recent one.
		{"a dropped id seen again", "<a@x> <b@x> <c@x> <d@x> <b@x>", 1, 2, []string{"a@x", "d@x", "b@x"}},
		{"id of MaxIDLen bytes kept", "<" + long + ">", 2, 48, []string{long}},
		{"longer id dropped", "<a@x> <" + long + "b> <c@x>", 2, 48, []string{"a@x", "c@x"}},
		{"megabyte id dropped", "<" + strings.Repeat("x", 1<<20) + "@x>", 2, 48, nil},
		{"folded id rejoined before the length check", "<" + strings.Repeat("a", 600) + "\r\n " + strings.Repeat("b", 300) + "@x>", 2, 48, []string{strings.Repeat("a", 600) + strings.Repeat("b", 300) + "@x"}},
		{"no tail", bracket(ids(1, 5)), 2, 0, ids(1, 2)},
		{"nothing", "", 2, 48, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := parseMsgIDsCapped(tt.in, false, tt.head, tt.tail)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// hostileReferences is a mail whose References header holds n ids, one
// per folded line as a long real thread would, and whose In-Reply-To
// holds a hundred.
func hostileReferences(n int) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nMessage-ID: <m@example.com>\r\nIn-Reply-To:")
	for i := range 100 {
		fmt.Fprintf(&b, " <p%d@example.com>", i)
	}
	b.WriteString("\r\nReferences:")
	for i := range n {
		fmt.Fprintf(&b, " <r%d@example.com>\r\n", i)
	}
	b.WriteString("Subject: hi\r\n\r\nbody\r\n")
	return []byte(b.String())
}

// A 40,000-id References header keeps its root and its 48 most recent
// ids, and In-Reply-To its first and its last four.
func TestParseCapsReferences(t *testing.T) {
	const n = 40000
	m, err := Parse(hostileReferences(n))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range ReferencesHead {
		want = append(want, fmt.Sprintf("r%d@example.com", i))
	}
	for i := n - ReferencesTail; i < n; i++ {
		want = append(want, fmt.Sprintf("r%d@example.com", i))
	}
	if !reflect.DeepEqual(m.References, want) {
		t.Errorf("got %d References %q…, want %d", len(m.References), m.References[:min(4, len(m.References))], len(want))
	}
	wantIRT := []string{"p0@example.com", "p96@example.com", "p97@example.com", "p98@example.com", "p99@example.com"}
	if !reflect.DeepEqual(m.InReplyTo, wantIRT) {
		t.Errorf("got InReplyTo %q, want %q", m.InReplyTo, wantIRT)
	}
	if m.MessageID != "m@example.com" {
		t.Errorf("got MessageID %q, want m@example.com", m.MessageID)
	}
}

// The ids are collected without a list of all of them: the allocations
// of a parse grow by far less than one per id.
func TestParseReferencesAllocations(t *testing.T) {
	small, large := hostileReferences(1000), hostileReferences(40000)
	a := testing.AllocsPerRun(3, func() { Parse(small) })
	b := testing.AllocsPerRun(3, func() { Parse(large) })
	t.Logf("allocations: %.0f for 1,000 ids, %.0f for 40,000", a, b)
	if perID := (b - a) / 39000; perID > 0.5 {
		t.Errorf("got %.2f allocations per References id, want at most 0.5", perID)
	}
}

func BenchmarkParseManyReferences(b *testing.B) {
	raw := hostileReferences(40000)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		Parse(raw)
	}
}
