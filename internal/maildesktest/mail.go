package maildesktest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/store"
)

// Inquiry builds a plain UTF-8 mail as a customer's client sends it, with
// extra header lines (such as "In-Reply-To: <x>") before the body.
func Inquiry(from, to, subject, msgID, body string, extra ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Wed, 25 Nov 2026 10:00:00 +0900\r\nMessage-ID: <%s>\r\n", from, to, subject, msgID)
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(body)
	return b.Bytes()
}

// File is a customer's attachment for InquiryWithFiles.
type File struct {
	Name, ContentType string
	Data              []byte
	// Encoding says how the name is written, as the clients do:
	// "rfc2231" (Outlook: filename*=utf-8''%EC%98%A4…), "rfc2047" (Gmail
	// and Naver: filename="=?UTF-8?B?…?="), or "" for the name as it is,
	// in quotes (for hostile names); "none" for a part without a name.
	Encoding string
}

// InquiryWithFiles builds a multipart/mixed customer mail: a UTF-8 text
// part, then each file in base64 with its name encoded as File.Encoding
// says.
func InquiryWithFiles(from, to, subject, msgID, body string, files ...File) []byte {
	const boundary = "----=_NextPart_000_0012_01DB4F3A.6C1E2B30"
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Wed, 25 Nov 2026 10:00:00 +0900\r\nMessage-ID: <%s>\r\n", from, to, subject, msgID)
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"%s\"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n", boundary, wrap76(base64.StdEncoding.EncodeToString([]byte(body))))
	for _, f := range files {
		var ct, cd string
		switch f.Encoding {
		case "rfc2231":
			enc := "utf-8''" + percent(f.Name)
			ct, cd = fmt.Sprintf("%s;\r\n\tname*=%s", f.ContentType, enc), fmt.Sprintf("attachment;\r\n\tfilename*=%s", enc)
		case "rfc2047":
			enc := mime.BEncoding.Encode("UTF-8", f.Name)
			ct, cd = fmt.Sprintf("%s; name=\"%s\"", f.ContentType, enc), fmt.Sprintf("attachment; filename=\"%s\"", enc)
		case "none":
			ct, cd = f.ContentType, "attachment"
		default:
			ct, cd = fmt.Sprintf("%s; name=\"%s\"", f.ContentType, f.Name), fmt.Sprintf("attachment; filename=\"%s\"", f.Name)
		}
		fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: %s\r\n\r\n%s\r\n",
			boundary, ct, cd, wrap76(base64.StdEncoding.EncodeToString(f.Data)))
	}
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return b.Bytes()
}

// percent writes s as an RFC 2231 value: every byte but letters, digits
// and "-._~" as %XX.
func percent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// wrap76 breaks base64 into the 76-character lines of RFC 2045.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

// CountKind counts the stored messages of one kind (inbound, ack, staff, …).
func CountKind(ms []*store.Message, kind string) int {
	n := 0
	for _, m := range ms {
		if m.Kind == kind {
			n++
		}
	}
	return n
}

// WaitLimit bounds every wait for something asynchronous. It is a hang
// guard, not a speed assertion: the events waited for take milliseconds,
// and a wait ends as soon as its condition holds.
const WaitLimit = 90 * time.Second

// WaitUntil polls cond until it holds, failing t after WaitLimit.
func WaitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
