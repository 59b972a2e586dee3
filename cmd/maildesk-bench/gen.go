package main

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// messageSizes returns the sizes of the corpus's .eml files, the
// distribution the generated backlog draws from. Without a corpus it falls
// back to the corpus's deciles as measured when this command was written.
func messageSizes(corpus string) (sizes []int, fromCorpus bool) {
	filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".eml") {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Size() > 0 {
			sizes = append(sizes, int(info.Size()))
		}
		return nil
	})
	if len(sizes) > 0 {
		slices.Sort(sizes)
		return sizes, true
	}
	return []int{754, 1100, 1500, 2000, 2554, 3300, 4400, 6000, 8689, 20000, 59838}, false
}

// A paragraph of the kind of Korean inquiry the help desk gets.
const koreanLine = "안녕하세요. FTA-PASS에서 원산지확인서를 발급하려고 하는데 품목 등록 화면에서 오류가 납니다. 확인 부탁드립니다.\r\n"
const englishLine = "Hello, we could not issue the certificate of origin for HS 8471.30; please advise what is missing.\r\n"

// genMsg is one generated backlog message.
type genMsg struct {
	seq       int
	from      string
	messageID string
	subject   string
	raw       []byte
}

// backlogGen makes realistic backlog mail: sizes drawn from the corpus,
// a share with a PDF attachment, a share replying (In-Reply-To, quoted
// text, "Re:") to an earlier message of the same customer.
type backlogGen struct {
	rng        *rand.Rand
	sizes      []int
	attachFrac float64
	replyFrac  float64
	to         string
	sent       []*genMsg // non-replies so far, candidates to reply to
	date       time.Time
}

func (g *backlogGen) next(seq int) *genMsg {
	size := g.sizes[g.rng.IntN(len(g.sizes))]
	m := &genMsg{seq: seq, messageID: fmt.Sprintf("bench-%d-%x@customer.example.co.kr", seq, g.rng.Uint32())}
	var parent *genMsg
	if len(g.sent) > 0 && g.rng.Float64() < g.replyFrac {
		parent = g.sent[g.rng.IntN(len(g.sent))]
	}
	// About three mails per customer: under the acknowledgement rate limit,
	// as a real backlog of distinct people would be.
	if parent != nil {
		m.from, m.subject = parent.from, "Re: "+parent.subject
	} else {
		m.from = fmt.Sprintf("customer%d@example.co.kr", seq/3)
		m.subject = fmt.Sprintf("원산지확인서 발급 문의 %d", seq)
	}
	attach := g.rng.Float64() < g.attachFrac
	g.date = g.date.Add(time.Minute)

	var b strings.Builder
	fmt.Fprintf(&b, "Return-Path: <%s>\r\nFrom: =?UTF-8?B?%s?= <%s>\r\nTo: %s\r\nSubject: =?UTF-8?B?%s?=\r\nDate: %s\r\nMessage-ID: <%s>\r\nX-Bench-Seq: %d\r\nMIME-Version: 1.0\r\n",
		m.from, base64.StdEncoding.EncodeToString([]byte("김고객")), m.from, g.to,
		base64.StdEncoding.EncodeToString([]byte(m.subject)), g.date.Format(time.RFC1123Z), m.messageID, seq)
	if parent != nil {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", parent.messageID, parent.messageID)
	}
	text := func(n int) string {
		var t strings.Builder
		t.WriteString("담당자님께,\r\n\r\n")
		for t.Len() < n {
			if g.rng.IntN(4) == 0 {
				t.WriteString(englishLine)
			} else {
				t.WriteString(koreanLine)
			}
		}
		t.WriteString("\r\n김고객 드림\r\n")
		if parent != nil {
			t.WriteString("\r\n-----Original Message-----\r\n")
			for _, l := range strings.SplitAfter(string(parent.body()), "\r\n")[:min(20, strings.Count(string(parent.body()), "\r\n"))] {
				t.WriteString("> " + l)
			}
		}
		return t.String()
	}
	if !attach {
		b.WriteString("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		b.WriteString(text(max(size-b.Len()-200, 100)))
	} else {
		boundary := fmt.Sprintf("=_bench_%d", seq)
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n--%s\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n",
			boundary, boundary, text(300))
		n := max((size-b.Len())*3/4, 4096)
		pdf := make([]byte, n)
		for i := range pdf {
			pdf[i] = byte(g.rng.Uint32())
		}
		enc := base64.StdEncoding.EncodeToString(pdf)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: application/pdf; name=\"origin-%d.pdf\"\r\nContent-Disposition: attachment; filename=\"origin-%d.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			boundary, seq, seq)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		fmt.Fprintf(&b, "%s\r\n--%s--\r\n", enc, boundary)
	}
	m.raw = []byte(b.String())
	if parent == nil {
		g.sent = append(g.sent, m)
	}
	return m
}

// body is the part of raw after the header.
func (m *genMsg) body() []byte {
	s := string(m.raw)
	if i := strings.Index(s, "\r\n\r\n"); i >= 0 {
		return []byte(s[i+4:])
	}
	return nil
}

// inquiry is one short new inquiry for the latency benchmark.
func inquiry(from, to, subject, id string) []byte {
	return []byte("From: " + from + "\r\nTo: " + to + "\r\nSubject: =?UTF-8?B?" +
		base64.StdEncoding.EncodeToString([]byte(subject)) + "?=\r\nDate: " + time.Now().Format(time.RFC1123Z) +
		"\r\nMessage-ID: <" + id + ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		koreanLine + koreanLine + "\r\n김고객 드림\r\n")
}
