package message

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

func sampleOutgoing() Outgoing {
	return Outgoing{
		From:          Address{"고객지원팀", "help@desk.example.com"},
		To:            []Address{{"김철수", "kim@example.co.kr"}},
		Cc:            []Address{{"", "boss@example.co.kr"}},
		ReplyTo:       []Address{{"", "reply+12@desk.example.com"}},
		Subject:       "Re: [FTA-PASS #12] 주문 취소 요청드립니다 — 처리 완료 안내 (매우 긴 제목이 여러 줄로 접히는지 확인합니다)",
		MessageID:     "ticket-12.reply-3@desk.example.com",
		InReplyTo:     "20200110091800.1234@example.co.kr",
		References:    []string{"first@example.co.kr", "20200110091800.1234@example.co.kr"},
		Date:          time.Date(2025, 3, 1, 9, 30, 0, 0, time.FixedZone("KST", 9*3600)),
		AutoSubmitted: "auto-replied",
		Headers:       [][2]string{{"X-Maildesk-Ticket", "FTA-PASS #12"}},
		Text:          "안녕하세요 김철수 고객님,\n\n주문 A-1001 취소가 완료되었습니다.\n감사합니다.\n",
	}
}

// unfoldedHeader returns the unfolded value of the first header field key
// in raw, and the raw (folded) field.
func unfoldedHeader(t *testing.T, raw []byte, key string) (string, string) {
	t.Helper()
	head := raw
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		head = raw[:i+2]
	}
	re := regexp.MustCompile(`(?mi)^` + regexp.QuoteMeta(key) + `:(.*\r\n(?:[ \t].*\r\n)*)`)
	m := re.FindSubmatch(head)
	if m == nil {
		t.Fatalf("no %s header in:\n%s", key, head)
	}
	folded := string(m[0])
	v := strings.ReplaceAll(string(m[1]), "\r\n", "")
	return strings.TrimSpace(v), folded
}

func TestComposeRoundTrip(t *testing.T) {
	o := sampleOutgoing()
	raw, err := Compose(o)
	if err != nil {
		t.Fatal(err)
	}
	// Line ends are CRLF only; lines stay within RFC 5322's 998 octets.
	for i, line := range bytes.Split(raw, []byte("\r\n")) {
		if bytes.ContainsAny(line, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i, line)
		}
		if len(line) > 998 {
			t.Fatalf("line %d is %d octets", i, len(line))
		}
	}
	// The Subject field is RFC 2047 encoded: ASCII only.
	subj, folded := unfoldedHeader(t, raw, "Subject")
	if !isASCII(folded) || !strings.Contains(subj, "=?UTF-8?") {
		t.Errorf("Subject header not RFC 2047 encoded: %q", folded)
	}
	if v, _ := unfoldedHeader(t, raw, "Auto-Submitted"); v != "auto-replied" {
		t.Errorf("Auto-Submitted = %q", v)
	}
	if v, _ := unfoldedHeader(t, raw, "Date"); v != "Sat, 01 Mar 2025 09:30:00 +0900" {
		t.Errorf("Date = %q", v)
	}
	if v, _ := unfoldedHeader(t, raw, "MIME-Version"); v != "1.0" {
		t.Errorf("MIME-Version = %q", v)
	}
	if v, _ := unfoldedHeader(t, raw, "X-Maildesk-Ticket"); v != "FTA-PASS #12" {
		t.Errorf("X-Maildesk-Ticket = %q", v)
	}
	// The whole header block is ASCII.
	head := raw[:bytes.Index(raw, []byte("\r\n\r\n"))]
	if !isASCII(string(head)) {
		t.Errorf("header block is not ASCII:\n%s", head)
	}

	m, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse(Compose()): %v\n%s", err, raw)
	}
	if m.Subject != o.Subject {
		t.Errorf("Subject = %q, want %q", m.Subject, o.Subject)
	}
	if m.MessageID != o.MessageID {
		t.Errorf("MessageID = %q", m.MessageID)
	}
	if len(m.InReplyTo) != 1 || m.InReplyTo[0] != o.InReplyTo {
		t.Errorf("InReplyTo = %q", m.InReplyTo)
	}
	if strings.Join(m.References, " ") != strings.Join(o.References, " ") {
		t.Errorf("References = %q", m.References)
	}
	if m.From != o.From || len(m.To) != 1 || m.To[0] != o.To[0] || len(m.Cc) != 1 || m.Cc[0] != o.Cc[0] ||
		len(m.ReplyTo) != 1 || m.ReplyTo[0] != o.ReplyTo[0] {
		t.Errorf("addresses: From=%v To=%v Cc=%v Reply-To=%v", m.From, m.To, m.Cc, m.ReplyTo)
	}
	if !m.Date.Equal(o.Date) {
		t.Errorf("Date = %v", m.Date)
	}
	if want := strings.TrimRight(o.Text, "\n"); m.Text != want {
		t.Errorf("Text = %q, want %q", m.Text, want)
	}
	if m.Automatic() != ReasonAutoSubmitted {
		t.Errorf("Automatic() = %q", m.Automatic())
	}
}

func TestComposeHTMLAlternative(t *testing.T) {
	o := sampleOutgoing()
	o.Text = "Plain text version.\nSecond line = 2 > 1.\n"
	o.HTML = "<p>HTML <b>version</b></p>"
	raw, err := Compose(o)
	if err != nil {
		t.Fatal(err)
	}
	if ct, _ := unfoldedHeader(t, raw, "Content-Type"); !strings.HasPrefix(ct, "multipart/alternative;") {
		t.Errorf("Content-Type = %q", ct)
	}
	// Mostly-ASCII text goes quoted-printable, and stays readable.
	if !bytes.Contains(raw, []byte("Content-Transfer-Encoding: quoted-printable")) ||
		!bytes.Contains(raw, []byte("Second line =3D 2 > 1.")) {
		t.Errorf("expected a quoted-printable text part:\n%s", raw)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "Plain text version.\nSecond line = 2 > 1." || m.HTMLOnly {
		t.Errorf("Text = %q HTMLOnly=%v", m.Text, m.HTMLOnly)
	}
}

func TestComposeKoreanBodyIsBase64(t *testing.T) {
	raw, err := Compose(sampleOutgoing())
	if err != nil {
		t.Fatal(err)
	}
	if ct, _ := unfoldedHeader(t, raw, "Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cte, _ := unfoldedHeader(t, raw, "Content-Transfer-Encoding"); cte != "base64" {
		t.Errorf("Content-Transfer-Encoding = %q", cte)
	}
	if bytes.Contains(raw, []byte("In-Reply-To: <20200110091800.1234@example.co.kr>\r\n")) == false {
		t.Errorf("In-Reply-To missing:\n%s", raw)
	}
	if bytes.Contains(raw, []byte("User-Agent")) || bytes.Contains(raw, []byte("X-Mailer")) {
		t.Errorf("no user agent header expected:\n%s", raw)
	}
}

func TestComposeDeterministic(t *testing.T) {
	o := sampleOutgoing()
	o.HTML = "<p>안녕하세요</p>"
	a, err := Compose(o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compose(o)
	if err != nil {
		t.Fatal(err)
	}
	boundary := regexp.MustCompile(`boundary=([0-9a-zA-Z'()+_,./:=?-]+)`)
	norm := func(raw []byte) string {
		m := boundary.FindSubmatch(raw)
		if m == nil {
			t.Fatalf("no boundary in:\n%s", raw)
		}
		return strings.ReplaceAll(string(raw), string(m[1]), "BOUNDARY")
	}
	if norm(a) != norm(b) {
		t.Errorf("Compose is not deterministic:\n%s\n----\n%s", a, b)
	}
}

func TestComposeOptionalHeaders(t *testing.T) {
	o := sampleOutgoing()
	o.AutoSubmitted, o.InReplyTo, o.References, o.Cc, o.ReplyTo, o.Headers = "", "", nil, nil, nil, nil
	o.Subject = "plain ascii subject"
	raw, err := Compose(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"Auto-Submitted:", "In-Reply-To:", "References:", "Cc:", "Reply-To:"} {
		if bytes.Contains(raw, []byte("\r\n"+h)) {
			t.Errorf("unexpected %s header:\n%s", h, raw)
		}
	}
	if v, _ := unfoldedHeader(t, raw, "Subject"); v != "plain ascii subject" {
		t.Errorf("Subject = %q", v)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.Automatic() != "" {
		t.Errorf("Automatic() = %q", m.Automatic())
	}
}

func TestComposeRejects(t *testing.T) {
	for _, tt := range []struct {
		name   string
		modify func(*Outgoing)
		errHas string
	}{
		{"no message id", func(o *Outgoing) { o.MessageID = "" }, "Message-ID"},
		{"bracketed message id", func(o *Outgoing) { o.MessageID = "<a@b>" }, "Message-ID"},
		{"message id with space", func(o *Outgoing) { o.MessageID = "a b@c" }, "Message-ID"},
		{"bad in-reply-to", func(o *Outgoing) { o.InReplyTo = "x\r\ny" }, "In-Reply-To"},
		{"bad reference", func(o *Outgoing) { o.References = []string{"ok@x", "bad id"} }, "References"},
		{"zero date", func(o *Outgoing) { o.Date = time.Time{} }, "Date"},
		{"empty text", func(o *Outgoing) { o.Text = " \n" }, "Text"},
		{"no recipient", func(o *Outgoing) { o.To, o.Cc = nil, nil }, "recipient"},
		{"no from", func(o *Outgoing) { o.From = Address{} }, "From"},
		{"bad to", func(o *Outgoing) { o.To = []Address{{"x", "not an address"}} }, "To"},
		{"injected to", func(o *Outgoing) { o.To = []Address{{"x", "a@b.c\r\nBcc: evil@x"}} }, "To"},
		{"header injection", func(o *Outgoing) { o.Headers = [][2]string{{"X-A", "v\r\nBcc: evil@x"}} }, "line break"},
		{"bad header name", func(o *Outgoing) { o.Headers = [][2]string{{"X A", "v"}} }, "header name"},
		{"owned header", func(o *Outgoing) { o.Headers = [][2]string{{"subject", "v"}} }, "set by Compose"},
		{"duplicate header", func(o *Outgoing) { o.Headers = [][2]string{{"X-A", "1"}, {"x-a", "2"}} }, "twice"},
		{"bad auto-submitted", func(o *Outgoing) { o.AutoSubmitted = "auto\r\nX: y" }, "Auto-Submitted"},
	} {
		o := sampleOutgoing()
		tt.modify(&o)
		_, err := Compose(o)
		if err == nil || !strings.Contains(err.Error(), tt.errHas) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.errHas)
		}
	}
}

func TestComposeSubjectNewlinesFlattened(t *testing.T) {
	o := sampleOutgoing()
	o.Subject = "line one\r\nBcc: evil@example.com"
	raw, err := Compose(o)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("\r\nBcc:")) {
		t.Fatalf("subject injected a header:\n%s", raw)
	}
	m, _ := Parse(raw)
	if m.Subject != "line one  Bcc: evil@example.com" {
		t.Errorf("Subject = %q", m.Subject)
	}
}

// Attachments survive a compose-parse round trip with their Korean names,
// types and bytes: staff answers are relayed with their files.
func TestComposeAttachments(t *testing.T) {
	pdf := []byte("%PDF-1.4 binary \x00\xff data")
	raw, err := Compose(Outgoing{
		From: Address{Addr: "fta-pass@origin.or.kr"}, To: []Address{{Addr: "kim@example.co.kr"}},
		Subject: "첨부 확인", MessageID: "att@origin.or.kr", Date: time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC),
		Text:        "첨부 파일을 보내 드립니다.",
		Attachments: []Attachment{{Name: "원산지확인서.pdf", ContentType: "application/pdf", Data: pdf}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("attachments: got %d, want 1", len(m.Attachments))
	}
	a := m.Attachments[0]
	if a.Name != "원산지확인서.pdf" || a.ContentType != "application/pdf" || string(a.Data) != string(pdf) {
		t.Errorf("attachment: got %q %q %q", a.Name, a.ContentType, a.Data)
	}
	if !strings.Contains(m.Text, "첨부 파일을 보내 드립니다.") {
		t.Errorf("text: got %q", m.Text)
	}
}

// TestComposeMessageAttachment: a mail attached as message/rfc822 goes
// unencoded (RFC 2046 5.2.1) and comes back byte for byte, 8-bit header
// and all; one with a line too long for SMTP goes as a base64 .eml file.
func TestComposeMessageAttachment(t *testing.T) {
	long := "Subject: x\r\n\r\n" + strings.Repeat("a", 1200) + "\r\n"
	tests := []struct {
		name, raw, wantType, wantCTE string
	}{
		{"as received", "From: 김철수 <kim@example.co.kr>\r\nSubject: =?UTF-8?B?66y47J2Y?=\r\nMessage-ID: <q1@example.co.kr>\r\n\r\n원산지 문의입니다.\r\n", "message/rfc822", "8bit"},
		{"long line", long, "application/octet-stream", "base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := Compose(Outgoing{
				From: Address{Addr: "fta-pass@origin.or.kr"}, To: []Address{{Addr: "mslim@origin.or.kr"}},
				Subject: "원본", MessageID: "orig@origin.or.kr", Date: time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC),
				Text:        "받은 그대로의 메일입니다.",
				Attachments: []Attachment{{Name: "original.eml", ContentType: "message/rfc822", Data: []byte(tt.raw)}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(raw), "Content-Type: "+tt.wantType) || !strings.Contains(string(raw), "Content-Transfer-Encoding: "+tt.wantCTE) {
				t.Errorf("want %s in %s:\n%s", tt.wantType, tt.wantCTE, raw)
			}
			m, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Attachments) != 1 || string(m.Attachments[0].Data) != tt.raw {
				t.Fatalf("attachments: got %+v, want the mail byte for byte", m.Attachments)
			}
		})
	}
}
