package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/localmail"
	"github.com/kioi/maildesk/message"
)

// The customer's files: a screenshot and a spreadsheet, binary, with the
// bytes a careless line-end or base64 conversion damages (CR, LF, NUL,
// 0xff, ESC).
var (
	screenshot  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 0xff, '\r', '\n', 0x1b, 'x'}, 4000)...)
	spreadsheet = append([]byte("PK\x03\x04\x14\x00\x06\x00"), bytes.Repeat([]byte("\x00\x01\xfe\n\r"), 6000)...)
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// inquiryWithFiles is a Korean inquiry with 오류화면.png (named the Outlook
// way, RFC 2231) and 품목목록.xlsx (the Gmail and Naver way, RFC 2047).
func inquiryWithFiles(msgID string) []byte {
	return maildesktest.InquiryWithFiles("=?UTF-8?B?6rmA6rOg6rCd?= <kim@example.co.kr>", "fta-pass@origin.or.kr",
		"=?UTF-8?B?7ZKI66qpIOuTseuhnSDsmKTrpZg=?=", msgID, "품목 등록 화면에서 오류가 납니다. 화면과 목록을 첨부합니다.\r\n",
		maildesktest.File{Name: "오류화면.png", ContentType: "image/png", Data: screenshot, Encoding: "rfc2231"},
		maildesktest.File{Name: "품목목록.xlsx", ContentType: xlsxType, Data: spreadsheet, Encoding: "rfc2047"})
}

// waitStaffNotice waits for the n-th handler's notice and parses it.
func (s *stack) waitStaffNotice(n int) *message.Message {
	s.t.Helper()
	deadline := time.Now().Add(maildesktest.WaitLimit)
	var got []localmail.Captured
	for len(got) < n {
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for handler's notice %d: got %d", n, len(got))
		}
		time.Sleep(10 * time.Millisecond)
		got = s.staffNotices()
	}
	m, err := message.Parse(got[n-1].Raw)
	if err != nil {
		s.t.Fatalf("parse the handler's notice: %v", err)
	}
	return m
}

// cli runs a maildesk command as an admin would, against the stack.
func (s *stack) cli(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	args = append(args[:1:1], append([]string{"-config", s.configPath}, args[1:]...)...)
	err := run(context.Background(), args, &out, &errOut)
	return out.String() + errOut.String(), err
}

// TestAttachmentsReachTheHandler (issue 13): an inquiry with two files
// gives the handler a notice that carries both, byte for byte, and names
// them; `ticket` lists them, `ticket -attachments DIR` writes them byte
// for byte, `ticket -raw 1` is the mail as delivered, and the handler's
// #original brings it back as message/rfc822.
func TestAttachmentsReachTheHandler(t *testing.T) {
	s := newStack(t)
	d := startDaemon(t, s.configPath)
	defer d.stop()
	d.waitSynced(t, len(s.mboxes))
	attachmentsFlow(t, s, func(from string, raw []byte) {
		if err := s.mail.Deliver("fta-pass@origin.or.kr", raw); err != nil {
			t.Fatal(err)
		}
	}, false)
}

// TestDovecotAttachments is the same through a real IMAP server, whose
// delivery agent puts its own trace lines above the mail.
func TestDovecotAttachments(t *testing.T) {
	s, dv := newDovecotStack(t)
	d := startDaemon(t, s.configPath)
	defer d.stop()
	d.waitSynced(t, len(s.mboxes))
	attachmentsFlow(t, s, func(from string, raw []byte) { dv.deliver(t, "fta-pass", from, raw) }, true)
}

func attachmentsFlow(t *testing.T, s *stack, deliver func(from string, raw []byte), traced bool) {
	raw := inquiryWithFiles("files1@example.co.kr")
	deliver("kim@example.co.kr", raw)
	// As stored: the mail, below whatever trace lines the server added.
	asReceived := func(got []byte) bool {
		if traced {
			return bytes.HasSuffix(got, raw)
		}
		return bytes.Equal(got, raw)
	}
	notice := s.waitStaffNotice(1)
	want := map[string][]byte{"오류화면.png": screenshot, "품목목록.xlsx": spreadsheet}
	if len(notice.Attachments) != 2 {
		t.Fatalf("notice attachments: got %d, want 2", len(notice.Attachments))
	}
	for _, a := range notice.Attachments {
		if !bytes.Equal(a.Data, want[a.Name]) {
			t.Errorf("notice attachment %q (%s): %d bytes, not the customer's %d", a.Name, a.ContentType, len(a.Data), len(want[a.Name]))
		}
	}
	if a := notice.Attachments[1]; a.Name != "품목목록.xlsx" || a.ContentType != xlsxType {
		t.Errorf("second attachment: got %q %q", a.Name, a.ContentType)
	}
	for _, w := range []string{"첨부 파일 2개:", "오류화면.png (image/png, 23 KB) - 이 메일에 첨부", "품목목록.xlsx (" + xlsxType + ", 29 KB)",
		"Files: 오류화면.png (23 KB), 품목목록.xlsx (29 KB). Attached to this mail."} {
		if !strings.Contains(notice.Text, w) {
			t.Errorf("notice lacks %q:\n%s", w, notice.Text)
		}
	}

	// ticket lists the files under each message, numbered.
	out, err := s.cli("ticket", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"   1 ", " in  inquiry", "attachment: 오류화면.png (image/png, 23 KB)", "attachment: 품목목록.xlsx (" + xlsxType + ", 29 KB)"} {
		if !strings.Contains(out, w) {
			t.Errorf("ticket lacks %q:\n%s", w, out)
		}
	}
	out, err = s.cli("ticket", "-json", "1")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Messages []struct {
			Number      int `json:"number"`
			Attachments []struct {
				Name        string `json:"name"`
				ContentType string `json:"content_type"`
				Size        int64  `json:"size"`
			} `json:"attachments"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("ticket -json: %v\n%s", err, out)
	}
	if m := v.Messages[0]; m.Number != 1 || len(m.Attachments) != 2 || m.Attachments[0].Name != "오류화면.png" ||
		m.Attachments[0].Size != int64(len(screenshot)) || m.Attachments[1].ContentType != xlsxType {
		t.Errorf("ticket -json, message 1: got %+v", m)
	}

	// -attachments writes them byte for byte; -raw 1 is the delivered mail.
	dir := filepath.Join(t.TempDir(), "files")
	out, err = s.cli("ticket", "1", "-attachments", dir)
	if err != nil {
		t.Fatalf("ticket -attachments: %v\n%s", err, out)
	}
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %d bytes, %v; want the customer's %d", name, len(got), err, len(data))
		}
		if !strings.Contains(out, filepath.Join(dir, name)) {
			t.Errorf("ticket -attachments does not list %s:\n%s", name, out)
		}
	}
	out, err = s.cli("ticket", "1", "-raw", "1")
	if err != nil || !asReceived([]byte(out)) {
		t.Errorf("ticket -raw 1: %v; got %d bytes, want the %d delivered", err, len(out), len(raw))
	}
	if _, err := s.cli("ticket", "1", "-raw", "9"); err == nil || !strings.Contains(err.Error(), "no message 9") {
		t.Errorf("ticket -raw 9: got %v, want no message 9", err)
	}

	// The handler asks for the original: it comes back byte for byte.
	deliver("mslim@origin.or.kr", maildesktest.Inquiry("임민수 <mslim@origin.or.kr>", notice.ReplyTo[0].Addr, "RE: "+notice.Subject,
		"original@origin.or.kr", "#original\r\n"+replyStyles["outlook"](notice), "In-Reply-To: <"+notice.MessageID+">"))
	orig := s.waitStaffNotice(2)
	if len(orig.Attachments) != 1 || orig.Attachments[0].ContentType != "message/rfc822" || !asReceived(orig.Attachments[0].Data) {
		t.Fatalf("#original: got %d attachments (%s), want the mail as received as message/rfc822", len(orig.Attachments), orig.Subject)
	}
	if f := orig.Forwarded; len(f) != 1 || len(f[0].Attachments) != 2 || !bytes.Equal(f[0].Attachments[0].Data, screenshot) {
		t.Errorf("#original: the attached mail's files are not intact")
	}
}

// TestAttachmentsOverTheLimit: with staff_attachments_max below the files'
// size, the notice carries none but lists each with its size and gives the
// command that extracts them.
func TestAttachmentsOverTheLimit(t *testing.T) {
	for _, tt := range []struct{ setting, reason string }{
		{`staff_attachments_max = "50KB"`, "파일이 모두 합쳐 50 KB를 넘어"},
		{`staff_attachments_max = "0"`, "설정에 따라 파일을"},
	} {
		t.Run(tt.setting, func(t *testing.T) {
			s := newStack(t)
			s.setConfig(tt.setting)
			d := startDaemon(t, s.configPath)
			defer d.stop()
			d.waitSynced(t, len(s.mboxes))
			if err := s.mail.Deliver("fta-pass@origin.or.kr", inquiryWithFiles("files2@example.co.kr")); err != nil {
				t.Fatal(err)
			}
			notice := s.waitStaffNotice(1)
			if len(notice.Attachments) != 0 {
				t.Errorf("notice attachments: got %d, want none", len(notice.Attachments))
			}
			for _, w := range []string{"오류화면.png (image/png, 23 KB)\n", "품목목록.xlsx (" + xlsxType + ", 29 KB)\n", tt.reason,
				"maildesk ticket 1 -attachments DIR"} {
				if !strings.Contains(notice.Text, w) {
					t.Errorf("notice lacks %q:\n%s", w, notice.Text)
				}
			}
		})
	}
}

// TestExtractHostileNames: whatever names the sender gives its files,
// `ticket -attachments DIR` writes only inside DIR, under plain names, and
// never overwrites a file.
func TestExtractHostileNames(t *testing.T) {
	s := newStack(t)
	d := startDaemon(t, s.configPath)
	defer d.stop()
	d.waitSynced(t, len(s.mboxes))
	files := []maildesktest.File{
		{Name: "../../etc/passwd", ContentType: "text/plain", Data: []byte("root:x:0:0:root:/root:/bin/sh\n")},
		{Name: "a/b", ContentType: "application/octet-stream", Data: []byte("a slash")},
		{Name: "\x1b[2J.png", ContentType: "image/png", Data: screenshot[:100]},
		{Name: "오류화면.png", ContentType: "image/png", Data: screenshot, Encoding: "rfc2231"},
		{Name: "오류화면.png", ContentType: "image/png", Data: screenshot[:50], Encoding: "rfc2047"},
		{Name: "..", ContentType: "image/gif", Data: []byte("GIF89a")},
		{ContentType: "application/pdf", Data: []byte("%PDF-1.4"), Encoding: "none"},
	}
	if err := s.mail.Deliver("fta-pass@origin.or.kr", maildesktest.InquiryWithFiles("kim@example.co.kr", "fta-pass@origin.or.kr",
		"files", "hostile@example.co.kr", "첨부합니다.\r\n", files...)); err != nil {
		t.Fatal(err)
	}
	s.waitStaffNotice(1)
	base := t.TempDir()
	dir := filepath.Join(base, "out", "files")
	out, err := s.cli("ticket", "1", "-attachments", dir)
	if err != nil {
		t.Fatalf("ticket -attachments: %v\n%s", err, out)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("output carries an escape:\n%q", out)
	}
	// message.Parse already drops directories from a name ("passwd");
	// SafeFileNames would have made "_.._etc_passwd" of it otherwise.
	want := map[string][]byte{
		"passwd": files[0].Data, "b": files[1].Data, "_[2J.png": files[2].Data,
		"오류화면.png": files[3].Data, "오류화면-2.png": files[4].Data, "part-6.gif": files[5].Data, "part-7.pdf": files[6].Data,
	}
	var written []string
	err = filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			written = append(written, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var wantPaths []string
	for name, data := range want {
		wantPaths = append(wantPaths, filepath.Join(dir, name))
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: got %q, %v; want %q", name, got, err, data)
		}
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	slices.Sort(written)
	slices.Sort(wantPaths)
	if !slices.Equal(written, wantPaths) {
		t.Errorf("files written:\n%q\nwant:\n%q", written, wantPaths)
	}

	// Again into the same directory: refused, and nothing changes.
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = s.cli("ticket", "1", "-attachments", dir)
	if err == nil || !strings.Contains(err.Error(), "already exists") || !strings.Contains(err.Error(), "nothing written") {
		t.Errorf("second extract: got %v\n%s; want a refusal to overwrite", err, out)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "passwd")); string(got) != "mine" {
		t.Errorf("existing file overwritten: %q", got)
	}
}
