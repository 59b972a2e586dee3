package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/examples"
	"github.com/kioi/maildesk/localmail"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
)

type demoOptions struct {
	dir                string
	imapAddr, smtpAddr string
	out                io.Writer
	log                *slog.Logger
	ready              func(*demoSystem) // tests: called once the daemon runs
	reset              bool              // overwrite edited rule files with the examples
}

// demoSystem is what a running demo exposes to its tests.
type demoSystem struct {
	mail       *localmail.System
	configPath string
	desk       *desk.Desk
}

const demoPassword = "demo"

// runDemo runs the real daemon against an in-process IMAP and SMTP server on
// loopback, configured from the embedded examples. The demo's mail lives in
// memory, so each run starts with a fresh database.
func runDemo(ctx context.Context, o demoOptions) error {
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "sent"), 0o755); err != nil {
		return err
	}
	kept, err := copyExampleRules(dir, o.reset)
	if err != nil {
		return err
	}
	mboxes, err := readExampleMailboxes(dir)
	if err != nil {
		return err
	}
	sys, err := localmail.Start(localmail.Options{IMAPAddr: o.imapAddr, SMTPAddr: o.smtpAddr, Logger: o.log})
	if err != nil {
		return fmt.Errorf("demo mail servers: %w", err)
	}
	defer sys.Close()
	for _, m := range mboxes {
		if err := sys.AddUser(m.Address, m.Name, demoPassword); err != nil {
			return err
		}
	}
	configPath, err := writeDemoConfig(dir, sys.IMAPAddr(), sys.SMTPAddr(), mboxes)
	if err != nil {
		return err
	}
	inquiry, err := writeDemoInquiry(dir)
	if err != nil {
		return err
	}

	var mu sync.Mutex
	n := 0
	sys.OnCapture(func(c localmail.Captured) {
		mu.Lock()
		n++
		name := filepath.Join(dir, "sent", fmt.Sprintf("%04d.eml", n))
		mu.Unlock()
		if err := os.WriteFile(name, c.Raw, 0o644); err != nil {
			o.log.Error("save captured mail", "err", err)
		}
		msg, _ := message.Parse(c.Raw)
		subject := ""
		if msg != nil {
			subject = msg.Subject
		}
		kind := ""
		if msg != nil {
			kind = msg.Header.Get("X-Maildesk-Kind")
		}
		fmt.Fprintf(o.out, "\n>>> %s mail sent to %s: %s\n    saved as %s\n", kind, strings.Join(c.To, ", "), subject, name)
		if msg == nil {
			return
		}
		lines := 20
		if kind == desk.KindStaffNotice {
			lines = 8
		}
		for _, line := range firstLines(msg.Text, lines) {
			fmt.Fprintf(o.out, "    | %s\n", line)
		}
		if kind == desk.KindStaffNotice && len(msg.ReplyTo) > 0 {
			// Let the demo user answer as the handler would, from a mail client.
			reply, err := writeDemoStaffReply(dir, msg, c.To[0])
			if err == nil {
				host, port, _ := net.SplitHostPort(sys.SMTPAddr())
				fmt.Fprintf(o.out, "    To answer as the handler (%s), as a reply from their mail client would:\n"+
					"      curl -s smtp://%s:%s --mail-from %s --mail-rcpt %s --upload-file %s\n",
					c.To[0], host, port, c.To[0], msg.ReplyTo[0].Addr, reply)
			}
		}
	})

	smtpHost, smtpPort, _ := net.SplitHostPort(sys.SMTPAddr())
	self := "go run ./cmd/maildesk"
	if exe, err := os.Executable(); err == nil && !strings.Contains(exe, "go-build") {
		self = exe
	}
	fmt.Fprintf(o.out, `maildesk demo
  IMAP server  %s   users: %s (password %q)
  SMTP server  %s   mail to those addresses lands in their INBOX; anything else is shown here
  config       %s
  database     %s (fresh each run: the demo's mail lives in memory)

Send a test inquiry (Korean subject and body) to fta-pass@origin.or.kr:

  curl -s smtp://%s:%s --mail-from customer@example.com --mail-rcpt fta-pass@origin.or.kr --upload-file %s

The acknowledgement, naming the FTA-PASS handler and phone, is printed below and saved in %s.
In another terminal:

  %s tickets -config %s
  %s ticket -config %s 1

To see a delay notice at once instead of a day before the 48-hour deadline
(the customer is told the reason, the status and the new date):

  %s ticket defer -config %s 1 --until %s --reason "관계 기관 확인이 필요합니다"

Stop with Ctrl-C, or: kill %d
`, sys.IMAPAddr(), strings.Join(names(mboxes), ", "), demoPassword, sys.SMTPAddr(), configPath,
		filepath.Join(dir, "maildesk.db"), smtpHost, smtpPort, inquiry, filepath.Join(dir, "sent"),
		self, configPath, self, configPath, self, configPath, time.Now().AddDate(0, 0, 7).Format("2006-01-02"), os.Getpid())
	if len(kept) > 0 {
		fmt.Fprintf(o.out, "\nKept the rule files already in %s, with any edits (-reset puts the examples back).\n", filepath.Join(dir, "rules"))
	}

	return runDaemon(ctx, configPath, daemonOptions{
		log: o.log,
		ready: func(d *desk.Desk) {
			if o.ready != nil {
				o.ready(&demoSystem{mail: sys, configPath: configPath, desk: d})
			}
		},
	})
}

// exampleMailboxes copies the example rules into dir and returns the
// mailboxes the example config defines, so the demo serves exactly those.
func exampleMailboxes(dir string) ([]config.Mailbox, error) {
	if _, err := copyExampleRules(dir, true); err != nil {
		return nil, err
	}
	return readExampleMailboxes(dir)
}

// copyExampleRules writes the example rule files into dir/rules. Without
// overwrite, a file that is there already is kept (an admin trying the demo
// edits them and restarts it): kept lists those.
func copyExampleRules(dir string, overwrite bool) (kept []string, err error) {
	rulesDir := filepath.Join(dir, "rules")
	if err := os.MkdirAll(rulesDir, 0o755); err != nil {
		return nil, err
	}
	files, err := fs.Glob(examples.FS, "rules/*.toml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		dst := filepath.Join(rulesDir, filepath.Base(f))
		if _, err := os.Stat(dst); err == nil && !overwrite {
			kept = append(kept, dst)
			continue
		}
		b, err := examples.FS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return nil, err
		}
	}
	return kept, nil
}

// readExampleMailboxes reads the example config's mailboxes.
func readExampleMailboxes(dir string) ([]config.Mailbox, error) {
	// Read the example config itself, with stand-in passwords, for its
	// mailbox names and addresses.
	b, err := examples.FS.ReadFile("maildesk.toml")
	if err != nil {
		return nil, err
	}
	tmp := filepath.Join(dir, "example-maildesk.toml")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return nil, err
	}
	for _, v := range []string{"MAILDESK_SMTP_PASSWORD", "MAILDESK_IMAP_PASSWORD"} {
		if os.Getenv(v) == "" {
			os.Setenv(v, demoPassword)
		}
	}
	cfg, err := config.Load(tmp)
	if err != nil {
		return nil, fmt.Errorf("example config: %w", err)
	}
	return cfg.Mailboxes, nil
}

// writeDemoConfig writes a maildesk.toml for mboxes served on imapAddr, with
// mail going out through smtpAddr, all in plain text on loopback.
func writeDemoConfig(dir, imapAddr, smtpAddr string, mboxes []config.Mailbox) (string, error) {
	if err := os.WriteFile(filepath.Join(dir, "demo.secret"), []byte(demoPassword+"\n"), 0o600); err != nil {
		return "", err
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(filepath.Join(dir, "maildesk.db"+suffix)); err != nil && !os.IsNotExist(err) {
			return "", err
		}
	}
	imapHost, imapPort, _ := net.SplitHostPort(imapAddr)
	smtpHost, smtpPort, _ := net.SplitHostPort(smtpAddr)
	var b strings.Builder
	fmt.Fprintf(&b, `# Written by maildesk demo: the example rules against loopback servers.
database = "maildesk.db"
rules = "rules"
timezone = "Asia/Seoul"

[smtp]
host = %q
port = %s
security = "none"

`, smtpHost, smtpPort)
	for _, m := range mboxes {
		fmt.Fprintf(&b, `[[mailbox]]
name = %q
address = %q
host = %q
port = %s
security = "none"
username = %q
password_file = "demo.secret"

`, m.Name, m.Address, imapHost, imapPort, m.Name)
	}
	path := filepath.Join(dir, "maildesk.toml")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// writeDemoInquiry writes a Korean inquiry ready to be sent with curl. Its
// Message-ID is new each run; sending the same file twice is the same mail,
// which maildesk stores once.
func writeDemoInquiry(dir string) (string, error) {
	var id [8]byte
	rand.Read(id[:])
	subject := mime.BEncoding.Encode("UTF-8", "FTA-PASS 원산지확인서 발급 문의")
	body := "안녕하세요.\r\n\r\nFTA-PASS에서 원산지확인서를 발급하려고 하는데 품목 등록 화면에서 오류가 납니다.\r\n" +
		"확인 부탁드립니다.\r\n\r\n김고객 드림\r\n"
	raw := "From: " + mime.BEncoding.Encode("UTF-8", "김고객") + " <customer@example.com>\r\n" +
		"To: fta-pass@origin.or.kr\r\n" +
		"Subject: " + subject + "\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\n" +
		"Message-ID: <demo-" + hex.EncodeToString(id[:]) + "@example.com>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
	path := filepath.Join(dir, "inquiry.eml")
	return path, os.WriteFile(path, []byte(raw), 0o644)
}

// writeDemoStaffReply writes the reply a handler would send to a staff
// notice: an answer on top, the notice quoted below, as Outlook does.
func writeDemoStaffReply(dir string, notice *message.Message, staff string) (string, error) {
	var id [6]byte
	rand.Read(id[:])
	quoted := strings.ReplaceAll(notice.Text, "\n", "\r\n")
	raw := "From: " + staff + "\r\n" +
		"To: " + notice.ReplyTo[0].Addr + "\r\n" +
		"Subject: " + mime.BEncoding.Encode("UTF-8", "RE: "+notice.Subject) + "\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\n" +
		"Message-ID: <demo-staff-" + hex.EncodeToString(id[:]) + "@origin.or.kr>\r\n" +
		"In-Reply-To: <" + notice.MessageID + ">\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"안녕하십니까.\r\nFTA-PASS의 [원산지확인서] 메뉴에서 품목을 다시 등록하신 뒤 발급하시면 됩니다.\r\n감사합니다.\r\n\r\n" +
		"-----Original Message-----\r\nFrom: maildesk <" + notice.From.Addr + ">\r\nSent: " + time.Now().Format("Monday, January 2, 2006 3:04 PM") +
		"\r\nTo: " + staff + "\r\nSubject: " + notice.Subject + "\r\n\r\n" + quoted + "\r\n"
	tag := "reply"
	if _, n, ok := rules.ParseTag(notice.Subject); ok {
		tag = fmt.Sprintf("reply-%d", n)
	}
	path := filepath.Join(dir, tag+".eml")
	return path, os.WriteFile(path, []byte(raw), 0o644)
}

func names(ms []config.Mailbox) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Name)
	}
	return s
}

func firstLines(s string, n int) []string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "… ("+strconv.Itoa(len(lines)-n)+" more lines)")
	}
	return lines
}
