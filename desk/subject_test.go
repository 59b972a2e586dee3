package desk

import "testing"

// TestBaseSubject tests what desk adds to message.BaseSubject: ticket tags
// and other bracketed labels, in any order with the markers. The markers
// themselves are message's, tested in message/subject_test.go.
func TestBaseSubject(t *testing.T) {
	tests := []struct{ in, want string }{
		{"RE: [FTA-PASS #12] 문의", "문의"},
		{"[FTA-PASS #12] RE: 회신: [FTA-PASS #12] 문의", "문의"},
		{"[EXTERNAL] Re: 문의", "문의"},
		{"[FTA-PASS #12]", ""},
		// Not tags: an open bracket alone, and a bracket that closes too
		// far away to be a label.
		{"[", "["},
		{"Re: [", "["},
		{"[a remark in brackets that goes on past forty bytes] 문의", "[a remark in brackets that goes on past forty bytes] 문의"},
	}
	for _, tt := range tests {
		if got := baseSubject(tt.in); got != tt.want {
			t.Errorf("baseSubject(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkedReply(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"Re: 문의", true},
		{"[FTA-PASS #3] 회신: 문의", true},
		{"[FTA-PASS #3] 문의", false},
		{"문의", false},
		{"Report: x", false},
	}
	for _, tt := range tests {
		if got := markedReply(tt.in); got != tt.want {
			t.Errorf("markedReply(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

// FuzzBaseSubject checks what threading relies on: a tag or a marker put
// in front of a subject (as a reply to maildesk's mail has) leaves its base
// unchanged, and the base has neither in front. message.FuzzBaseSubject
// covers the markers alone.
func FuzzBaseSubject(f *testing.F) {
	for _, s := range []string{"Re: [FTA-PASS #1] 문의", "RE(3):x", "[", "회신： 문의", "[a] [b", "]["} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := baseSubject(s)
		if len(got) > len(s) {
			t.Fatalf("baseSubject(%q) = %q grew", s, got)
		}
		if baseSubject(got) != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, baseSubject(got))
		}
		if _, tagged := cutTag(got); tagged || markedReply(got) {
			t.Fatalf("baseSubject(%q) = %q still starts with a tag or marker", s, got)
		}
		for _, prefix := range []string{"[FTA-PASS #12] ", "Re: ", "회신: [FTA-PASS #12] "} {
			if b := baseSubject(prefix + s); b != got {
				t.Fatalf("baseSubject(%q) = %q, want %q as without %q", prefix+s, b, got, prefix)
			}
		}
	})
}
