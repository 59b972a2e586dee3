package message

import (
	"bytes"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
)

// benchCorpus returns the .eml files of the shared corpus, skipping (or, in
// CI, failing) when it is absent.
func benchCorpus(b *testing.B) [][]byte {
	b.Helper()
	dir := maildesktest.Corpus(b)
	var msgs [][]byte
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".eml") {
			if raw, err := os.ReadFile(p); err == nil {
				msgs = append(msgs, raw)
			}
		}
		return nil
	})
	if len(msgs) == 0 {
		if os.Getenv("CI") != "" {
			b.Fatalf("no corpus .eml files at %s (set MAILDESK_CORPUS)", dir)
		}
		b.Skipf("no corpus .eml files at %s", dir)
	}
	return msgs
}

// BenchmarkParseCorpus parses every .eml file of the corpus once per
// iteration: the sizes and oddities the intake meets.
func BenchmarkParseCorpus(b *testing.B) {
	msgs := benchCorpus(b)
	var total int64
	for _, m := range msgs {
		total += int64(len(m))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, m := range msgs {
			Parse(m)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/msg")
}

// BenchmarkParse parses typical mail of the help desk: a Korean inquiry, a
// reply quoting it, and one with a 1 MB PDF attachment.
func BenchmarkParse(b *testing.B) {
	inquiry := "From: =?UTF-8?B?6rmA6rOg6rCd?= <kim@example.co.kr>\r\nTo: fta-pass@origin.or.kr\r\n" +
		"Subject: =?UTF-8?B?7JuQ7IKw7KeAIOusuOydmA==?=\r\nDate: Wed, 25 Nov 2026 14:00:00 +0900\r\n" +
		"Message-ID: <q1@example.co.kr>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" +
		strings.Repeat("FTA-PASS에서 원산지확인서를 발급하려고 하는데 품목 등록 화면에서 오류가 납니다.\r\n", 20)
	reply := strings.Replace(inquiry, "Message-ID: <q1@example.co.kr>", "Message-ID: <q2@example.co.kr>\r\nIn-Reply-To: <a1@origin.or.kr>\r\nReferences: <q1@example.co.kr> <a1@origin.or.kr>", 1) +
		"\r\n-----Original Message-----\r\n" + strings.Repeat("> 답변드립니다. 확인서 발급 화면을 다시 열어 주세요.\r\n", 40)
	pdf := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("%PDF-1.7 origin "), 1<<16))
	var att strings.Builder
	att.WriteString("From: kim@example.co.kr\r\nTo: fta-pass@origin.or.kr\r\nSubject: attachment\r\nMessage-ID: <q3@example.co.kr>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n첨부합니다.\r\n" +
		"--b\r\nContent-Type: application/pdf; name=origin.pdf\r\nContent-Disposition: attachment; filename=origin.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for len(pdf) > 76 {
		att.WriteString(pdf[:76] + "\r\n")
		pdf = pdf[76:]
	}
	att.WriteString(pdf + "\r\n--b--\r\n")
	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{"inquiry", []byte(inquiry)},
		{"reply", []byte(reply)},
		{"attachment-1MB", []byte(att.String())},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(tc.raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
