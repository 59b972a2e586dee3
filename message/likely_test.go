package message

import "testing"

func TestLooksAutomatic(t *testing.T) {
	tests := []struct {
		from, subject, want string
	}{
		{"no-reply@sns.amazonaws.com", "AWS Notification Message", ReasonNoReply},
		{"NoReply-42@example.com", "hi", ReasonNoReply},
		{"neko-admin@example.org", "You are not member", ReasonListManager},
		{"owner-list@example.org", "x", ReasonListManager},
		{"kim@example.jp", "Fwd: Returned mail: see transcript for details", ReasonBounceSubject},
		{"staff@hotmail.com", "complaint about message from 192.0.2.222", ReasonBounceSubject},
		{"kim@example.co.kr", "RE: FW: Undeliverable: 문의", ReasonBounceSubject},
		// Every marker BaseSubject knows, not only the ASCII ones.
		{"kim@example.co.kr", "회신: Undeliverable: 문의", ReasonBounceSubject},
		{"kim@example.co.kr", "답장: 전달: Returned mail: see transcript for details", ReasonBounceSubject},
		{"kim@example.co.kr", "Re[2]: Mail delivery failed: returning message to sender", ReasonBounceSubject},
		{"kim@example.co.kr", "AW: RE(3)： Undeliverable: 문의", ReasonBounceSubject},
		// People.
		{"kim@example.co.kr", "원산지 문의", ""},
		{"admin@example.co.kr", "문의", ""},
		{"noreplyguy@example.com", "hello", ""},
		{"kim@example.co.kr", "Re: delivery of goods", ""},
	}
	for _, tt := range tests {
		m, _ := Parse([]byte("From: " + tt.from + "\r\nSubject: " + tt.subject + "\r\n\r\nbody\r\n"))
		if got := m.LooksAutomatic(); got != tt.want {
			t.Errorf("From %s, Subject %q: got %q, want %q", tt.from, tt.subject, got, tt.want)
		}
	}
}
