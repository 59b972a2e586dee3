package message

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"time"
)

func TestSplitReply(t *testing.T) {
	tests := []struct {
		name, in, newText, quoted string
	}{
		{"no quote", "Hello\n\nthanks", "Hello\n\nthanks", ""},
		{"empty", "", "", ""},
		{"gmail attribution",
			"Thanks!\n\nOn Mon, Apr 2, 2012 at 6:26 PM, Megan <m@x.com> wrote:\n> Hi\n",
			"Thanks!", "On Mon, Apr 2, 2012 at 6:26 PM, Megan <m@x.com> wrote:\n> Hi"},
		{"attribution over two lines",
			"Yes.\n\nOn Mon, Apr 2, 2012 at 6:26 PM, Some Very Long Name <some.name@example.com>\nwrote:\n> Hi",
			"Yes.", "On Mon, Apr 2, 2012 at 6:26 PM, Some Very Long Name <some.name@example.com>\nwrote:\n> Hi"},
		{"korean gmail",
			"확인했습니다.\n\n2024년 1월 10일 (수) 오후 3:00, 홍길동 <a@b.kr>님이 작성:\n> 문의드립니다.",
			"확인했습니다.", "2024년 1월 10일 (수) 오후 3:00, 홍길동 <a@b.kr>님이 작성:\n> 문의드립니다."},
		{"korean gmail split",
			"네.\n\n2024년 1월 10일 (수) 오후 3:00, 홍길동 <a@b.kr>님이\n작성:\n> 문의",
			"네.", "2024년 1월 10일 (수) 오후 3:00, 홍길동 <a@b.kr>님이\n작성:\n> 문의"},
		{"thunderbird korean",
			"좋습니다.\n\n2020년 01월 10일 00:18에 Jani Nikula 이(가) 쓴 글:\n> x\n",
			"좋습니다.", "2020년 01월 10일 00:18에 Jani Nikula 이(가) 쓴 글:\n> x"},
		{"thunderbird korean wrote",
			"Hi,\n\nOn 2020년 01월 10일 00:18, Jani Nikula wrote:\n> x",
			"Hi,", "On 2020년 01월 10일 00:18, Jani Nikula wrote:\n> x"},
		{"outlook original message",
			"답변 감사합니다.\n\n-----Original Message-----\nFrom: a@b.c\nSent: Friday\n\nold",
			"답변 감사합니다.", "-----Original Message-----\nFrom: a@b.c\nSent: Friday\n\nold"},
		{"outlook korean original",
			"네 알겠습니다.\n-----원본 메시지-----\n보낸 사람: 고객지원 <help@desk.kr>\n받는 사람: 김철수\n제목: 문의\n\n예전 내용",
			"네 알겠습니다.", "-----원본 메시지-----\n보낸 사람: 고객지원 <help@desk.kr>\n받는 사람: 김철수\n제목: 문의\n\n예전 내용"},
		{"outlook korean header block with rule",
			"처리 부탁드립니다.\n\n________________________________\n보낸 사람: 고객지원 <help@desk.kr>\n보낸 날짜: 2025년 2월 3일 월요일 오후 2:05\n받는 사람: 김철수\n참조: 이영희\n제목: RE: 문의\n\n예전",
			"처리 부탁드립니다.", "________________________________\n보낸 사람: 고객지원 <help@desk.kr>\n보낸 날짜: 2025년 2월 3일 월요일 오후 2:05\n받는 사람: 김철수\n참조: 이영희\n제목: RE: 문의\n\n예전"},
		{"outlook korean 날짜",
			"확인 바랍니다\n\n보낸 사람: 홍길동 <a@b.kr>\n날짜: 2025년 2월 3일\n받는 사람: help@desk.kr\n제목: 문의\n\nold",
			"확인 바랍니다", "보낸 사람: 홍길동 <a@b.kr>\n날짜: 2025년 2월 3일\n받는 사람: help@desk.kr\n제목: 문의\n\nold"},
		{"outlook english header block",
			"OK\n\nFrom: Desk [mailto:help@desk.kr]\nSent: Monday, March 14, 2011 6:16 PM\nTo: Rick\nSubject: Re: x\n\nold",
			"OK", "From: Desk [mailto:help@desk.kr]\nSent: Monday, March 14, 2011 6:16 PM\nTo: Rick\nSubject: Re: x\n\nold"},
		{"naver webmail",
			"감사합니다\n\n------- Original Message -------\nFrom : help@desk.kr\nTo : kim@naver.com\nDate : 2025-02-03 14:05\n\nold",
			"감사합니다", "------- Original Message -------\nFrom : help@desk.kr\nTo : kim@naver.com\nDate : 2025-02-03 14:05\n\nold"},
		{"trailing quote", "Sure.\n\n> can you?\n> please", "Sure.", "> can you?\n> please"},
		{"interleaved quote kept", "> question one\nanswer one\n> question two\nanswer two\n\n> bye",
			"> question one\nanswer one\n> question two\nanswer two", "> bye"},
		{"quote only is kept", "> only a quote", "> only a quote", ""},
		{"bottom posting", "On Mon, 2 Apr 2012, bob wrote:\n> Hi\n\nHello", "Hello", "On Mon, 2 Apr 2012, bob wrote:\n> Hi"},
		{"signature delimiter", "Hello\n\n-- \nKim\n010-1234", "Hello", "-- \nKim\n010-1234"},
		{"iphone", "Hello\n\nSent from my iPhone", "Hello", "Sent from my iPhone"},
		{"korean iphone", "확인 부탁드립니다.\n\niPhone에서 보냄", "확인 부탁드립니다.", "iPhone에서 보냄"},
		{"korean galaxy", "네\n\nGalaxy에서 보냄\n\n-------- 원본 메시지 --------\n발신: help@desk.kr\n날짜: 25/2/3\n\nold",
			"네", "Galaxy에서 보냄\n\n-------- 원본 메시지 --------\n발신: help@desk.kr\n날짜: 25/2/3\n\nold"},
		{"sent from prose is content", "Hello\n\nSent from my desk, is much easier then my mobile phone.",
			"Hello\n\nSent from my desk, is much easier then my mobile phone.", ""},
		{"wrote in prose is content", "I wrote: nothing yet", "I wrote: nothing yet", ""},
		{"present is not sent", "Please present this to kim@x.kr at 10:30:\n- item", "Please present this to kim@x.kr at 10:30:\n- item", ""},
		{"Q and A lines are not a header block", "Q: 환불 되나요?\nA: 네, 됩니다.", "Q: 환불 되나요?\nA: 네, 됩니다.", ""},
		{"forwarded gmail", "FYI\n\n---------- Forwarded message ---------\nFrom: A <a@b.c>\n\nbody",
			"FYI", "---------- Forwarded message ---------\nFrom: A <a@b.c>\n\nbody"},
		{"CRLF", "Hi\r\n\r\nOn 1 Jan 2020, x wrote:\r\n> y\r\n", "Hi", "On 1 Jan 2020, x wrote:\n> y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, q := SplitReply(tt.in)
			if n != tt.newText {
				t.Errorf("newText: got %q, want %q", n, tt.newText)
			}
			if q != tt.quoted {
				t.Errorf("quoted: got %q, want %q", q, tt.quoted)
			}
		})
	}
}

func TestParseSetsNewText(t *testing.T) {
	raw := "From: a@b.c\nSubject: Re: x\nContent-Type: text/plain; charset=utf-8\n\n확인했습니다.\n\n-----원본 메시지-----\n보낸 사람: help@desk.kr\n제목: x\n\nold\n"
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.NewText != "확인했습니다." {
		t.Errorf("NewText: got %q, want %q", m.NewText, "확인했습니다.")
	}
	if want := "-----원본 메시지-----\n보낸 사람: help@desk.kr\n제목: x\n\nold"; m.Quoted != want {
		t.Errorf("Quoted: got %q, want %q", m.Quoted, want)
	}
}

// normSpace compares texts after whitespace normalisation.
func normSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// replyScore collects per-case results of a reply corpus.
type replyScore struct {
	t      *testing.T
	set    string
	n, ok  int
	misses []string
}

func (s *replyScore) add(name string, pass bool, detail string) {
	s.n++
	if pass {
		s.ok++
		return
	}
	s.misses = append(s.misses, name+": "+detail)
}

// check logs the rate and the misses, and holds floor and case count.
func (s *replyScore) check(minCases int, floor float64) {
	s.t.Helper()
	sort.Strings(s.misses)
	for _, m := range s.misses {
		s.t.Logf("miss %s", m)
	}
	if s.n < minCases {
		s.t.Fatalf("%s: got %d cases, want at least %d", s.set, s.n, minCases)
	}
	rate := float64(s.ok) / float64(s.n)
	s.t.Logf("%s: %d/%d = %.1f%%", s.set, s.ok, s.n, 100*rate)
	if rate < floor-1e-9 {
		s.t.Errorf("%s: got rate %.3f, want at least %.3f", s.set, rate, floor)
	}
}

func short(s string) string {
	s = normSpace(s)
	if r := []rune(s); len(r) > 130 {
		return string(r[:40]) + " … " + string(r[len(r)-90:])
	}
	return s
}

// TestCorpusReplyDiscourse compares the new text with discourse's
// trimmed/ output for each test/emails/*.txt.
func TestCorpusReplyDiscourse(t *testing.T) {
	dir := filepath.Join(maildesktest.Corpus(t), "discourse-email_reply_trimmer", "test")
	files, _ := filepath.Glob(filepath.Join(dir, "emails", "*.txt"))
	s := &replyScore{t: t, set: "discourse-email_reply_trimmer"}
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, "trimmed", filepath.Base(f)))
		if err != nil {
			continue
		}
		got, _ := SplitReply(string(in))
		s.add(filepath.Base(f), normSpace(got) == normSpace(string(want)), "got "+strconvQ(short(got))+", want "+strconvQ(short(string(want))))
	}
	// Measured: 61/64 = 95.3%. Misses: embedded_email_7 (discourse does not
	// take "On … wrote:" without a blank line before it as a header; we do),
	// embedded_email_12 (an attribution folded over five lines with blank
	// lines between), embedded_email_17 (discourse keeps a ">" quote that
	// follows a second attribution; we treat it as history).
	s.check(64, 61.0/64)
}

func strconvQ(s string) string { return "«" + s + "»" }

// TestCorpusReplyTalon follows talon's EXPECTED.json rules. Talon extracts
// the reply without touching the signature, so its expectation is compared
// with the new text plus the signature.
func TestCorpusReplyTalon(t *testing.T) {
	dir := filepath.Join(maildesktest.Corpus(t), "mailgun-talon", "tests", "fixtures")
	s := &replyScore{t: t, set: "mailgun-talon"}
	emls, _ := filepath.Glob(filepath.Join(dir, "standard_replies", "*.eml"))
	for _, f := range emls {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := Parse(raw)
		want := "Hello"
		if b, err := os.ReadFile(strings.TrimSuffix(f, ".eml") + "_reply_text"); err == nil {
			want = string(b)
		}
		p := splitReply(m.Text)
		got := strings.TrimSpace(p.newText + "\n" + p.signature)
		s.add(filepath.Base(f), normSpace(got) == normSpace(want), "got "+strconvQ(short(got))+", want "+strconvQ(short(want)))
	}
	htmls, _ := filepath.Glob(filepath.Join(dir, "html_replies", "*.html"))
	noSpace := func(s string) string { return strings.Join(strings.Fields(s), "") }
	htmlCase := func(f, want string) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p := splitReply(HTMLToText(string(b)))
		got := strings.TrimSpace(p.newText + "\n" + p.signature)
		s.add(filepath.Base(f), noSpace(got) == noSpace(want), "got "+strconvQ(short(got))+", want "+strconvQ(want))
	}
	for _, f := range htmls {
		htmlCase(f, "Hi. I am fine.\n\nThanks,\nAlex")
	}
	htmlCase(filepath.Join(dir, "OLK_SRC_BODY_SECTION.html"), "Reply")
	htmlCase(filepath.Join(dir, "reply-separated-by-hr.html"), "Hi there")
	raw, err := os.ReadFile(filepath.Join(dir, "reply-quotations-share-block.eml"))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := Parse(raw)
	s.add("reply-quotations-share-block.eml", m.NewText != "" && !strings.Contains(m.NewText, "From"), "got "+strconvQ(short(m.NewText)))
	// Measured: 23/24 = 95.8%. Miss: reply-separated-by-hr.html, where only
	// an <hr> separates reply and quote; HTMLToText does not keep rules.
	s.check(24, 23.0/24)
}

// TestCorpusReplyGitHub checks github/email_reply_parser's transcribed
// assertions: parse_reply strings exactly; for fragment assertions, a
// fragment that is neither quoted nor hidden must be in the new text and a
// hidden one must not.
func TestCorpusReplyGitHub(t *testing.T) {
	dir := filepath.Join(maildesktest.Corpus(t), "github-email_reply_parser")
	b, err := os.ReadFile(filepath.Join(dir, "EXPECTED.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Equals    map[string]string `json:"parse_reply_equals"`
		Fragments map[string]struct {
			Quoted    []bool            `json:"quoted"`
			Hidden    []bool            `json:"hidden"`
			Fragment0 *string           `json:"fragment0"`
			Regex     map[string]string `json:"fragment_regex"`
			F0Has     string            `json:"fragment0_contains"`
			F1Has     string            `json:"fragment1_contains"`
		} `json:"fragments"`
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, "test", "emails", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	s := &replyScore{t: t, set: "github-email_reply_parser"}
	for name, want := range exp.Equals {
		got, _ := SplitReply(read(name))
		s.add(name, normSpace(got) == normSpace(want), "got "+strconvQ(short(got))+", want "+strconvQ(short(want)))
	}
	for name, e := range exp.Fragments {
		in := read(name)
		start := time.Now()
		got, _ := SplitReply(in)
		if el := time.Since(start); el > time.Second {
			t.Errorf("%s: SplitReply took %v", name, el)
		}
		hidden := func(k int) (bool, bool) {
			if k < len(e.Hidden) {
				return e.Hidden[k], true
			}
			return false, false
		}
		quoted := func(k int) bool { return k < len(e.Quoted) && e.Quoted[k] }
		var fails []string
		if e.Fragment0 != nil {
			if h, known := hidden(1); known && h && normSpace(got) != normSpace(*e.Fragment0) {
				fails = append(fails, "newText != fragment0 "+strconvQ(short(*e.Fragment0)))
			}
		}
		for ks, re := range e.Regex {
			k := int(ks[0] - '0')
			rx := regexp.MustCompile("(?m)" + re)
			h, known := hidden(k)
			if !known && k > 0 && strings.HasPrefix(re, "^On") {
				h, known = true, true // a quote header, hidden below the reply
			}
			switch {
			case quoted(k) || !known && k > 0:
			case h && rx.MatchString(got):
				fails = append(fails, "hidden fragment "+ks+" "+re+" is in newText")
			case !h && !rx.MatchString(got):
				fails = append(fails, "fragment "+ks+" "+re+" missing")
			}
		}
		if e.F0Has != "" && !strings.Contains(got, e.F0Has) {
			fails = append(fails, "lacks "+e.F0Has)
		}
		if e.F1Has != "" && strings.Contains(got, e.F1Has) {
			fails = append(fails, "has quoted "+e.F1Has)
		}
		if len(e.Regex) == 0 && e.Fragment0 == nil && e.F0Has == "" {
			continue // count-only assertions say nothing about the split
		}
		s.add(name, len(fails) == 0, strings.Join(fails, "; ")+"; got "+strconvQ(short(got)))
	}
	// Measured: 16/18 = 88.9%. Both misses are "-Abhishek Kona" under the
	// reply (email_1_1, email_1_3): github hides a "-Name" line as a
	// signature, crisp keeps it in the first fragment of the same mails
	// (its email_1, email_3). We keep it: the customer's name is content.
	s.check(18, 16.0/18)
}

// TestCorpusReplyCrisp compares the new text with crisp's first fragment.
func TestCorpusReplyCrisp(t *testing.T) {
	dir := filepath.Join(maildesktest.Corpus(t), "crisp-oss-email-reply-parser")
	b, err := os.ReadFile(filepath.Join(dir, "EXPECTED-first-fragment.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Cases []struct {
			Fixture string  `json:"fixture"`
			Exact   *string `json:"expected_first_fragment"`
			Trimmed *string `json:"expected_first_fragment_trimmed"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	s := &replyScore{t: t, set: "crisp-oss-email-reply-parser"}
	for _, c := range exp.Cases {
		in, err := os.ReadFile(filepath.Join(dir, c.Fixture))
		if err != nil {
			t.Fatal(err)
		}
		want := c.Exact
		if want == nil {
			want = c.Trimmed
		}
		got, _ := SplitReply(string(in))
		s.add(filepath.Base(c.Fixture), normSpace(got) == normSpace(*want), "got "+strconvQ(short(got))+", want "+strconvQ(short(*want)))
	}
	// Measured: 45/47 = 95.7%. Misses: email_2 (crisp's first fragment is
	// the text above the first quote, "Hi,"; the answer below the quote is
	// new text for us and for github's email_1_2, the same mail), and
	// email_with_regards (crisp cuts at "Regards,"; discourse keeps
	// "Best regards" in three of its expectations, and so do we).
	s.check(47, 45.0/47)
}

// TestCorpusKoreanOutlook runs every ks_c_5601-1987 message of the
// linux-samsung-soc threads (thread*/ and singles/): each decodes without
// a replacement character, carries Korean (the sender's name or the
// text), and its Outlook "-----Original Message-----" header is split off.
func TestCorpusKoreanOutlook(t *testing.T) {
	dir := filepath.Join(maildesktest.Corpus(t), "lore-linux-samsung-soc-threads")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.eml"))
	hangul := func(s string) bool {
		for _, r := range s {
			if r >= 0xac00 && r <= 0xd7a3 {
				return true
			}
		}
		return false
	}
	var ksc, clean, korean, outlook, split int
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.ToLower(string(raw)), "ks_c_5601-1987") {
			continue
		}
		ksc++
		rel, _ := filepath.Rel(dir, f)
		m, err := Parse(raw)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		if strings.ContainsRune(m.Text+m.Subject+m.From.Name, '\ufffd') {
			t.Errorf("%s: replacement character in the decoded mail", rel)
		} else {
			clean++
		}
		if hangul(m.From.Name + m.Text) {
			korean++
		}
		const delim = "-----Original Message-----"
		if strings.Contains(m.Text, delim) {
			outlook++
			// Kernel-list replies quote the whole Outlook mail with ">" and
			// answer inline: the header goes, the answers stay.
			if !strings.Contains(m.NewText, delim) && strings.Contains(m.Quoted, delim) && m.NewText != "" {
				split++
			} else {
				t.Errorf("%s: Outlook history not split off: NewText %s", rel, strconvQ(short(m.NewText)))
			}
		}
	}
	t.Logf("%d ks_c_5601-1987 messages: %d clean, %d with Korean, %d Outlook replies of which %d split", ksc, clean, korean, outlook, split)
	// Measured: 19 messages (17 in threads, 2 singles), all clean, 18 with
	// Korean (one has an ASCII-only From name and text), 18 with an Outlook
	// header, all split.
	if ksc != kscMessages || clean != ksc || korean != kscKorean || split != outlook || outlook != kscOutlook {
		t.Errorf("got %d messages, %d clean, %d Korean, %d/%d split; want %d, all clean, %d Korean, %d/%d split",
			ksc, clean, korean, split, outlook, kscMessages, kscKorean, kscOutlook, kscOutlook)
	}
}

const (
	kscMessages = 19
	kscKorean   = 18
	kscOutlook  = 18
)

// FuzzSplitReply checks that SplitReply never panics and splits by whole
// lines: every non-blank input line is in newText or quoted, unchanged,
// and nothing else is.
func FuzzSplitReply(f *testing.F) {
	for _, s := range []string{
		"Hello\n\nOn Mon, Apr 2, 2012 at 6:26 PM, Megan <m@x.com> wrote:\n> Hi\n",
		"네.\n\n2024년 1월 10일 (수) 오후 3:00, 홍길동 <a@b.kr>님이\n작성:\n> 문의",
		"OK\n-----원본 메시지-----\n보낸 사람: a\n받는 사람: b\n제목: c\n\nold",
		"> q\nanswer\n> q2\n\n-- \nsig\nSent from my iPhone",
		"________________________________\nFrom: x [mailto:x@y]\nSent: z\n\n",
		"On 1 Jan 2020 x <a@b\n>: wrote\n>",
		"| a\n|\n2013/7/20 sam <a@b>\n\n| q",
	} {
		f.Add(s)
	}
	// Seed with the reply corpora when they are there.
	dir, _ := maildesktest.FindCorpus()
	for _, g := range []string{"discourse-email_reply_trimmer/test/emails/*.txt", "crisp-oss-email-reply-parser/test/fixtures/*.txt", "github-email_reply_parser/test/emails/email_*.txt"} {
		files, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(g)))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil && len(b) < 64<<10 {
				f.Add(string(b))
			}
		}
	}
	nonBlank := func(s string) map[string]int {
		c := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			if !isBlank(l) {
				c[l]++
			}
		}
		return c
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, q := SplitReply(in)
		want := nonBlank(normalizeNewlines(in))
		got := nonBlank(n)
		for l, k := range nonBlank(q) {
			got[l] += k
		}
		if len(got) != len(want) {
			t.Fatalf("got %d distinct lines, want %d\nin  %q\nnew %q\nquo %q", len(got), len(want), in, n, q)
		}
		for l, k := range want {
			if got[l] != k {
				t.Fatalf("line %q: got %d times, want %d\nin  %q\nnew %q\nquo %q", l, got[l], k, in, n, q)
			}
		}
	})
}

// TestEndsInBareVerb holds the tail-only lower-casing to the answer of
// lower-casing the whole line, including runes whose lower case is shorter.
func TestEndsInBareVerb(t *testing.T) {
	long := strings.Repeat("가나다라마바사 ", 40)
	for _, s := range []string{
		"", "wrote", "WROTE", "x", long, long + "WROTE", long + "Escribió", long + "ESCRIBIÓ",
		long + "작성", long + "작성했습니다", "On 2024-01-02 <a@b.kr> HA SCRITTO", "\u212a\u212a\u212a wrote",
		strings.Repeat("\u212a", 20) + "SKREV", "present", "rewrote", "wrot",
	} {
		want := false
		for _, v := range bareVerbs {
			if strings.HasSuffix(strings.ToLower(s), v) {
				want = true
			}
		}
		if got := endsInBareVerb(s); got != want {
			t.Errorf("endsInBareVerb(%q) = %v, want %v", s, got, want)
		}
	}
}
