package localmail

import (
	"strings"
	"testing"
)

func TestMailboxKey(t *testing.T) {
	tests := []struct {
		in         string
		wantKey    string
		wantDetail bool
		wantErr    bool
	}{
		{in: "fta-pass@origin.or.kr", wantKey: "fta-pass@origin.or.kr"},
		{in: "fta-pass+t12.abc@origin.or.kr", wantKey: "fta-pass@origin.or.kr", wantDetail: true},
		{in: "FTA-Pass+T12.ABC@Origin.OR.KR", wantKey: "fta-pass@origin.or.kr", wantDetail: true},
		{in: "a+b+c@example.com", wantKey: "a@example.com", wantDetail: true},
		{in: "a+@example.com", wantKey: "a@example.com", wantDetail: true},
		{in: "<a@example.com>", wantKey: "a@example.com"},
		{in: "  a@example.com ", wantKey: "a@example.com"},
		{in: `"odd@local"@example.com`, wantKey: `"odd@local"@example.com`},
		{in: "민원@기관.kr", wantKey: "민원@기관.kr"},
		{in: "", wantErr: true},
		{in: "postmaster", wantErr: true},
		{in: "@example.com", wantErr: true},
		{in: "+tag@example.com", wantErr: true},
		{in: "a@", wantErr: true},
		{in: "a b@example.com", wantErr: true},
		{in: "a@exam\r\nple.com", wantErr: true},
		{in: "<<a@example.com>>", wantErr: true},
	}
	for _, tt := range tests {
		key, detail, err := mailboxKey(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("mailboxKey(%q): got error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if key != tt.wantKey || detail != tt.wantDetail {
			t.Errorf("mailboxKey(%q): got %q, %v, want %q, %v", tt.in, key, detail, tt.wantKey, tt.wantDetail)
		}
	}
}

func FuzzMailboxKey(f *testing.F) {
	for _, s := range []string{
		"fta-pass@origin.or.kr", "fta-pass+t12.abc@ORIGIN.or.kr", "<a@b>", "a@b@c", "+@x", "a+b@", "İ@K.com", "\xff@\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		key, detail, err := mailboxKey(in)
		if err != nil {
			return
		}
		// The key is its own key: registering and looking up agree.
		again, detail2, err := mailboxKey(key)
		if err != nil || again != key || detail2 {
			t.Fatalf("mailboxKey(%q) = %q; of that: got %q, %v, %v, want %q, false, nil", in, key, again, detail2, err, key)
		}
		if detail && !strings.Contains(in, "+") {
			t.Fatalf("mailboxKey(%q): detail reported without a '+'", in)
		}
		at := strings.LastIndexByte(key, '@')
		if at <= 0 || at == len(key)-1 || strings.Contains(key[:at], "+") {
			t.Fatalf("mailboxKey(%q) = %q: want local@domain with no '+' in local", in, key)
		}
	})
}

func TestWithTrace(t *testing.T) {
	tests := []struct {
		name, raw, from, rcpt, want string
	}{
		{"crlf", "Subject: a\r\n\r\nb\r\n", "x@y", "u+t@d", "Return-Path: <x@y>\r\nDelivered-To: u+t@d\r\nSubject: a\r\n\r\nb\r\n"},
		{"bare lf", "Subject: a\n\nb\n", "", "u@d", "Return-Path: <>\nDelivered-To: u@d\nSubject: a\n\nb\n"},
		{"empty", "", "x@y", "u@d", "Return-Path: <x@y>\r\nDelivered-To: u@d\r\n"},
	}
	for _, tt := range tests {
		if got := string(withTrace([]byte(tt.raw), tt.from, tt.rcpt)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
