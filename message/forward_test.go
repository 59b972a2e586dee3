package message

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseForwarded(t *testing.T) {
	raw := strings.Join([]string{
		"From: 김철수 <kim@example.kr>",
		"Subject: =?utf-8?B?7KCE64usOiDrrLjsnZg=?=", // 전달: 문의
		"Content-Type: multipart/mixed; boundary=outer",
		"",
		"--outer",
		"Content-Type: text/plain; charset=utf-8",
		"",
		"아래 메일 확인 부탁드립니다.",
		"--outer",
		"Content-Type: message/rfc822",
		"",
		"From: =?ks_c_5601-1987?B?seggx/bB+A==?= <hj@example.kr>",
		"Subject: =?euc-kr?B?uei82yC5rsDH?=", // 배송 문의
		"Content-Type: multipart/mixed; boundary=inner",
		"",
		"--inner",
		"Content-Type: text/plain; charset=euc-kr",
		"Content-Transfer-Encoding: base64",
		"",
		"uei828DMILTZILOqv8Czqr/kPw==", // 배송이 다 나오나요?
		"--inner",
		"Content-Type: message/rfc822",
		"Content-Disposition: attachment; filename=\"first.eml\"",
		"",
		"From: first@example.com",
		"Subject: first",
		"",
		"the first mail",
		"--inner--",
		"--outer--",
		"",
	}, "\r\n")
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "아래 메일 확인 부탁드립니다." {
		t.Errorf("Text: got %q, want only the outer text", m.Text)
	}
	if len(m.Forwarded) != 1 {
		t.Fatalf("Forwarded: got %d, want 1", len(m.Forwarded))
	}
	f := m.Forwarded[0]
	if f.Subject != "배송 문의" || f.From != (Address{"김 현진", "hj@example.kr"}) {
		t.Errorf("forwarded header: got %q %#v, want %q %#v", f.Subject, f.From, "배송 문의", Address{"김 현진", "hj@example.kr"})
	}
	if f.Text != "배송이 다 나오나요?" || f.NewText != f.Text {
		t.Errorf("forwarded text: got %q (new %q), want %q", f.Text, f.NewText, "배송이 다 나오나요?")
	}
	if len(f.Forwarded) != 1 || f.Forwarded[0].Text != "the first mail" {
		t.Fatalf("nested forward: got %d", len(f.Forwarded))
	}
	// Each forwarded mail is also an attachment of its parent.
	if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "message/rfc822" || m.Attachments[0].Name != "배송 문의.eml" {
		t.Errorf("Attachments: got %#v", m.Attachments)
	}
	if len(f.Attachments) != 1 || f.Attachments[0].Name != "first.eml" {
		t.Errorf("forwarded Attachments: got %#v", f.Attachments)
	}
}

func TestParseForwardedFixture(t *testing.T) {
	m, err := Parse(readFixture(t, "attachments-rfc2231.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Forwarded) != 1 || m.Forwarded[0].Subject != "원본 메일: 배송/반품 안내" {
		t.Fatalf("Forwarded: got %d", len(m.Forwarded))
	}
}

// A broken forwarded mail is the forwarded mail's problem, not the
// reply's: the outer mail stays clean.
func TestParseForwardedBrokenInner(t *testing.T) {
	raw := "Subject: fw\nContent-Type: multipart/mixed; boundary=o\n\n--o\n\nsee below\n--o\nContent-Type: message/rfc822\n\n" +
		"Subject: inner\nContent-Type: multipart/mixed; boundary=never\n\nno delimiter here\n--o--\n"
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Errorf("got error %v, want none", err)
	}
	if len(m.Forwarded) != 1 || m.Forwarded[0].Text != "no delimiter here" {
		t.Errorf("Forwarded: got %#v", m.Forwarded)
	}
}

// Forwarded mail nested past MaxDepth stops at the limit with an error.
func TestParseForwardedDepthLimit(t *testing.T) {
	var b strings.Builder
	for i := 0; i < MaxDepth+5; i++ {
		fmt.Fprintf(&b, "Subject: level %d\nContent-Type: message/rfc822\n\n", i)
	}
	b.WriteString("Subject: bottom\n\ntoo deep\n")
	m, err := Parse([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "nesting deeper than") {
		t.Fatalf("err = %v, want nesting error", err)
	}
	depth := 0
	for f := m; len(f.Forwarded) > 0; f = f.Forwarded[0] {
		depth++
	}
	if depth >= MaxDepth+5 || depth == 0 {
		t.Errorf("got %d levels of Forwarded, want fewer than %d", depth, MaxDepth+5)
	}
}
