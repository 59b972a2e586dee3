package message

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
)

func TestAutomatic(t *testing.T) {
	const base = "From: Kim <kim@example.co.kr>\r\nReturn-Path: <kim@example.co.kr>\r\nSubject: hi\r\n"
	for _, tt := range []struct {
		name, headers, body, want string
	}{
		{"ordinary mail", "", "", ""},
		{"auto-submitted no", "Auto-Submitted: no\r\n", "", ""},
		{"auto-submitted no with comment", "Auto-Submitted: No (manual)\r\n", "", ""},
		{"auto-replied", "Auto-Submitted: auto-replied\r\n", "", ReasonAutoSubmitted},
		{"auto-generated with comment", "Auto-Submitted: auto-generated (failure)\r\n", "", ReasonAutoSubmitted},
		{"precedence bulk", "Precedence: bulk\r\n", "", ReasonPrecedence},
		{"precedence junk", "Precedence: JUNK\r\n", "", ReasonPrecedence},
		{"precedence list", "Precedence: list\r\n", "", ReasonPrecedence},
		{"precedence auto_reply", "Precedence: auto_reply\r\n", "", ReasonPrecedence},
		{"precedence first-class", "Precedence: first-class\r\n", "", ""},
		{"list-id", "List-Id: <dev.lists.example.org>\r\n", "", ReasonList},
		{"list-unsubscribe", "List-Unsubscribe: <mailto:u@x>\r\n", "", ReasonList},
		{"x-autoreply", "X-Autoreply: yes\r\n", "", ReasonXAutoreply},
		{"x-autorespond", "X-Autorespond: vacation\r\n", "", ReasonXAutoreply},
		{"x-auto-response-suppress all", "X-Auto-Response-Suppress: All\r\n", "", ReasonXAutoreply},
		{"x-auto-response-suppress oof in list", "X-Auto-Response-Suppress: DR, OOF, AutoReply\r\n", "", ReasonXAutoreply},
		{"x-auto-response-suppress other", "X-Auto-Response-Suppress: DR, RN\r\n", "", ""},
		{"apple vacation", "X-Apple-Action: VACATION\r\n", "", ReasonXAutoreply},
		{"multipart/report", "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n",
			"--b\r\n\r\ntext\r\n--b--\r\n", ReasonDeliveryReport},
		{"delivery-status nested in mixed", "Content-Type: multipart/mixed; boundary=b\r\n",
			"--b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--b--\r\n", ReasonDeliveryReport},
		{"read receipt", "Content-Type: multipart/mixed; boundary=b\r\n",
			"--b\r\nContent-Type: message/disposition-notification\r\n\r\nDisposition: x\r\n--b--\r\n", ReasonDeliveryReport},
		{"auto-submitted wins over list", "List-Id: <l>\r\nAuto-Submitted: auto-generated\r\n", "", ReasonAutoSubmitted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := Parse([]byte(base + tt.headers + "\r\n" + tt.body))
			if got := m.Automatic(); got != tt.want {
				t.Errorf("Automatic() = %q, want %q", got, tt.want)
			}
		})
	}

	for _, tt := range []struct {
		name, raw, want string
	}{
		{"null return-path", "Return-Path: <>\r\nFrom: a@b.c\r\n\r\n", ReasonNullSender},
		{"no from", "Subject: x\r\n\r\n", ReasonNullSender},
		{"empty from", "From: \r\n\r\n", ReasonNullSender},
		{"from without address", "From: \"\" (Mail Delivery System)\r\n\r\n", ReasonNullSender},
		{"mailer-daemon from", "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>\r\n\r\n", ReasonMailerDaemon},
		{"bare mailer-daemon", "From: MAILER-DAEMON\r\n\r\n", ReasonMailerDaemon},
		{"postmaster from", "From: PostMaster@example.com\r\n\r\n", ReasonMailerDaemon},
		{"post_master from (Verizon)", "From: post_master@vtext.example.com\r\n\r\n", ReasonMailerDaemon},
		{"mailer_daemon from", "From: Mailer_Daemon@example.com\r\n\r\n", ReasonMailerDaemon},
		{"mailer-daemon return-path", "Return-Path: <mailer-daemon@mx.example.com>\r\nFrom: a@b.c\r\n\r\n", ReasonMailerDaemon},
		{"postmaster-like is fine", "From: postmaster.kim@example.com\r\n\r\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := Parse([]byte(tt.raw))
			if got := m.Automatic(); got != tt.want {
				t.Errorf("Automatic() = %q, want %q", got, tt.want)
			}
		})
	}

	var nilMsg *Message
	if nilMsg.Automatic() != "" {
		t.Error("nil Message should not be automatic")
	}
}

// TestCorpusAutomatic runs Automatic over real bounces and auto-replies of
// the sisimai corpus and the chatwoot helpdesk-loop case.
func TestCorpusAutomatic(t *testing.T) {
	dir := maildesktest.Corpus(t)

	raw, err := os.ReadFile(filepath.Join(dir, "chatwoot-selected", "spec", "fixtures", "files", "bounced_with_no_from.eml"))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := Parse(raw) // the report is truncated: an error is expected
	if got := m.Automatic(); got != ReasonAutoSubmitted {
		t.Errorf("chatwoot bounce: Automatic() = %q", got)
	}
	if !m.NullSender || m.From.Addr != "" || m.From.Name != "Mail Delivery System" {
		t.Errorf("chatwoot bounce: NullSender=%v From=%#v", m.NullSender, m.From)
	}

	maildir := filepath.Join(dir, "sisimai-set-of-emails", "maildir", "bsd")
	// RFC 3834 auto-replies: every one but 03 has a header we know; 03 is
	// iCloud's, marked only by X-Apple-Action.
	for file, want := range map[string]string{
		"rfc3834-01.eml": ReasonAutoSubmitted,
		"rfc3834-02.eml": ReasonNullSender,
		"rfc3834-03.eml": ReasonXAutoreply,
		"rfc3834-04.eml": ReasonNullSender,
		"rfc3834-05.eml": ReasonAutoSubmitted,
		"rfc3834-06.eml": ReasonAutoSubmitted,
	} {
		raw, err := os.ReadFile(filepath.Join(maildir, file))
		if err != nil {
			t.Fatal(err)
		}
		m, _ := Parse(raw)
		if got := m.Automatic(); got != want {
			t.Errorf("%s: Automatic() = %q, want %q", file, got, want)
		}
	}

	// Bounces from ~75 MTAs. A few are indistinguishable from person-sent
	// mail by headers alone (SNS JSON notifications, list-manager notices,
	// forwarded bounces); all the others must be recognised.
	files, _ := filepath.Glob(filepath.Join(maildir, "*.eml"))
	if len(files) < 500 {
		t.Fatalf("only %d sisimai samples", len(files))
	}
	var missed []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := Parse(raw)
		if m.Automatic() == "" {
			missed = append(missed, filepath.Base(f))
		}
	}
	if len(missed) > 15 {
		t.Errorf("%d of %d bounces not recognised as automatic: %v", len(missed), len(files), missed)
	}

	// A person's post, but delivered through a mailing list.
	raw, err = os.ReadFile(filepath.Join(dir, "lore-korean-thunderbird-euc-kr", "dri-devel-5E17C9AA.6010501@samsung.com.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := Parse(raw); m.Automatic() != ReasonPrecedence {
		t.Errorf("list post: Automatic() = %q, want %q", m.Automatic(), ReasonPrecedence)
	}

	// Ordinary mail from real people is not automatic.
	for _, f := range []string{
		filepath.Join(dir, "sisimai-set-of-emails", "maildir", "not", "is-not-bounce-01.eml"),
		filepath.Join(dir, "mikel-mail", "spec", "fixtures", "emails", "plain_emails", "raw_email.eml"),
	} {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := Parse(raw)
		if got := m.Automatic(); got != "" {
			t.Errorf("%s: Automatic() = %q, want \"\"", filepath.Base(f), got)
		}
	}
}
