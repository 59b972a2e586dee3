package mailbox

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message as the SMTP server saw it.
type received struct {
	from     string
	to       []string
	data     []byte
	authUser string
}

// smtpTestServer is an in-process go-smtp server on loopback recording
// what it receives and answering with injected errors.
type smtpTestServer struct {
	mu   sync.Mutex
	got  []received
	host string
	port int

	// user and pass, when set, are the only accepted credentials and
	// MAIL requires AUTH.
	user, pass string
	// Injected replies.
	mailErr, rcptErr, dataErr error
	// inData, if set, receives a value when DATA starts; DATA then blocks
	// until release is closed.
	inData  chan struct{}
	release chan struct{}

	// conns are the sessions' connections, in order of arrival; ended
	// counts the sessions that have ended, by either side (go-smtp logs a
	// session out when its connection closes).
	conns []*smtp.Conn
	ended int
}

// injected reads one of the injected replies, which a test may change
// between mails of one session.
func (s *smtpTestServer) injected(e *error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *e
}

// inject sets one of them.
func (s *smtpTestServer) inject(e *error, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*e = err
}

// sessions is how many connections the server has had, and how many of
// them have ended.
func (s *smtpTestServer) sessions() (n, ended int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns), s.ended
}

type smtpTestSecurity int

const (
	plainSMTP smtpTestSecurity = iota
	startTLSSMTP
	implicitTLSSMTP
)

func startSMTP(t *testing.T, s *smtpTestServer, security smtpTestSecurity, cert *tls.Certificate) {
	t.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		return &smtpTestSession{srv: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	var ln net.Listener
	var err error
	switch security {
	case plainSMTP:
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case startTLSSMTP:
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case implicitTLSSMTP:
		ln, err = tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{*cert}})
	}
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	s.host, s.port = addr.IP.String(), addr.Port
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
}

func (s *smtpTestServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

type smtpTestSession struct {
	srv      *smtpTestServer
	authUser string
	cur      received
}

func (ss *smtpTestSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpTestSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.srv.user || password != ss.srv.pass {
			return smtp.ErrAuthFailed
		}
		ss.authUser = username
		return nil
	}), nil
}

func (ss *smtpTestSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.user != "" && ss.authUser == "" {
		return smtp.ErrAuthRequired
	}
	if err := ss.srv.injected(&ss.srv.mailErr); err != nil {
		return err
	}
	ss.cur = received{from: from, authUser: ss.authUser}
	return nil
}

func (ss *smtpTestSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.srv.injected(&ss.srv.rcptErr); err != nil {
		return err
	}
	ss.cur.to = append(ss.cur.to, to)
	return nil
}

func (ss *smtpTestSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.srv.inData != nil {
		ss.srv.inData <- struct{}{}
		<-ss.srv.release
	}
	if err := ss.srv.injected(&ss.srv.dataErr); err != nil {
		return err
	}
	ss.cur.data = data
	ss.srv.mu.Lock()
	ss.srv.got = append(ss.srv.got, ss.cur)
	ss.srv.mu.Unlock()
	return nil
}

func (ss *smtpTestSession) Reset() { ss.cur = received{} }
func (ss *smtpTestSession) Logout() error {
	ss.srv.mu.Lock()
	ss.srv.ended++
	ss.srv.mu.Unlock()
	return nil
}

// rawReply is a composed message exercising what SMTP transport could
// damage: 8-bit UTF-8, a line starting with a dot, a lone dot line, long
// header folding and no final newline trouble.
const rawReply = "From: =?UTF-8?B?7ZWc6rWt?= <fta-pass@origin.or.kr>\r\n" +
	"To: customer@example.com\r\n" +
	"Subject: =?UTF-8?B?W0ZUQS1QQVNTICMxMjNdIOusuOydmCDri7Xrs4A=?=\r\n" +
	"Message-ID: <t123.1@origin.or.kr>\r\n" +
	"Auto-Submitted: auto-replied\r\n" +
	"References: <a@example.com>\r\n" +
	" <b@example.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"안녕하세요. 문의하신 내용에 답변드립니다.\r\n" +
	".leading dot\r\n" +
	".\r\n" +
	"..two dots\r\n" +
	"끝.\r\n"

func TestSenderDeliversVerbatim(t *testing.T) {
	tests := []struct {
		name string
		from string
		to   []string
	}{
		{"one recipient", "fta-pass@origin.or.kr", []string{"customer@example.com"}},
		{"several recipients", "fta-pass@origin.or.kr", []string{"a@example.com", "b@example.net"}},
		{"null sender", "", []string{"customer@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &smtpTestServer{}
			startSMTP(t, srv, plainSMTP, nil)
			s := NewSender(SMTPConfig{Host: srv.host, Port: srv.port, Security: "none", HELO: "maildesk.test"})
			if err := s.Send(context.Background(), tt.from, tt.to, []byte(rawReply)); err != nil {
				t.Fatalf("Send: got %v, want nil", err)
			}
			got := srv.received()
			if len(got) != 1 {
				t.Fatalf("received: got %d messages, want 1", len(got))
			}
			if got[0].from != tt.from {
				t.Errorf("MAIL FROM: got %q, want %q", got[0].from, tt.from)
			}
			if !slices.Equal(got[0].to, tt.to) {
				t.Errorf("RCPT TO: got %q, want %q", got[0].to, tt.to)
			}
			if string(got[0].data) != rawReply {
				t.Errorf("data: got %q, want %q", got[0].data, rawReply)
			}
		})
	}
}

func TestSenderAuth(t *testing.T) {
	tests := []struct {
		name     string
		password string
		wantErr  bool
		wantCode int
	}{
		{"right password", "pw", false, 0},
		// A rejected login is the relay's configuration, not the message's
		// fault: temporary, but the code tells the admin what happened.
		{"wrong password", "wrong", true, 535},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &smtpTestServer{user: "helpdesk", pass: "pw"}
			startSMTP(t, srv, plainSMTP, nil)
			s := NewSender(SMTPConfig{Host: srv.host, Port: srv.port, Security: "none", Username: "helpdesk", Password: tt.password})
			err := s.Send(context.Background(), "fta-pass@origin.or.kr", []string{"c@example.com"}, []byte(rawReply))
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Send: got %v, want nil", err)
				}
				got := srv.received()
				if len(got) != 1 || got[0].authUser != "helpdesk" {
					t.Fatalf("received: got %+v, want one message sent as helpdesk", got)
				}
				return
			}
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send: got %v, want *SendError", err)
			}
			if se.Permanent || se.Code != tt.wantCode {
				t.Errorf("SendError: got permanent=%v code=%d, want permanent=false code=%d", se.Permanent, se.Code, tt.wantCode)
			}
			if strings.Contains(err.Error(), tt.password) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
}

// smtpErr is a reply of the test server with code.
func smtpErr(code int) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "injected"}
}

func TestSenderErrors(t *testing.T) {
	tests := []struct {
		name          string
		srv           *smtpTestServer
		from          string
		to            []string
		wantPermanent bool
		wantCode      int
	}{
		{"rcpt 450 is temporary", &smtpTestServer{rcptErr: smtpErr(450)}, "a@b.c", []string{"x@y.z"}, false, 450},
		{"rcpt 550 is permanent", &smtpTestServer{rcptErr: smtpErr(550)}, "a@b.c", []string{"x@y.z"}, true, 550},
		{"mail 451 is temporary", &smtpTestServer{mailErr: smtpErr(451)}, "a@b.c", []string{"x@y.z"}, false, 451},
		{"mail 553 is permanent", &smtpTestServer{mailErr: smtpErr(553)}, "a@b.c", []string{"x@y.z"}, true, 553},
		{"data 452 is temporary", &smtpTestServer{dataErr: smtpErr(452)}, "a@b.c", []string{"x@y.z"}, false, 452},
		{"data 554 is permanent", &smtpTestServer{dataErr: smtpErr(554)}, "a@b.c", []string{"x@y.z"}, true, 554},
		{"no recipients", &smtpTestServer{}, "a@b.c", nil, true, 0},
		{"newline in sender", &smtpTestServer{}, "a@b.c\r\nRCPT TO:<evil@x>", []string{"x@y.z"}, true, 0},
		{"bracket in recipient", &smtpTestServer{}, "a@b.c", []string{"<x@y.z>"}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			startSMTP(t, tt.srv, plainSMTP, nil)
			s := NewSender(SMTPConfig{Host: tt.srv.host, Port: tt.srv.port, Security: "none"})
			err := s.Send(context.Background(), tt.from, tt.to, []byte(rawReply))
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send: got %v, want *SendError", err)
			}
			if se.Permanent != tt.wantPermanent || se.Code != tt.wantCode {
				t.Errorf("SendError: got permanent=%v code=%d, want permanent=%v code=%d (%v)",
					se.Permanent, se.Code, tt.wantPermanent, tt.wantCode, err)
			}
			if got := tt.srv.received(); len(got) != 0 {
				t.Errorf("received: got %d messages, want 0", len(got))
			}
		})
	}
}

func TestSenderConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	s := NewSender(SMTPConfig{Host: "127.0.0.1", Port: port, Security: "none"})
	err = s.Send(context.Background(), "a@b.c", []string{"x@y.z"}, []byte(rawReply))
	var se *SendError
	if !errors.As(err, &se) {
		t.Fatalf("Send: got %v, want *SendError", err)
	}
	if se.Permanent || se.Code != 0 {
		t.Errorf("SendError: got permanent=%v code=%d, want permanent=false code=0", se.Permanent, se.Code)
	}
}

func TestSenderBadConfig(t *testing.T) {
	s := NewSender(SMTPConfig{Host: "127.0.0.1", Port: 25, Security: "ssl"})
	err := s.Send(context.Background(), "a@b.c", []string{"x@y.z"}, []byte(rawReply))
	var se *SendError
	if !errors.As(err, &se) || se.Permanent {
		t.Fatalf("Send: got %v, want temporary *SendError", err)
	}
	if !strings.Contains(err.Error(), `security "ssl"`) {
		t.Errorf("error: got %q, want it to name the bad security", err)
	}
}

func TestSenderTLS(t *testing.T) {
	cert, pool := testCertificate(t)
	tests := []struct {
		name     string
		server   smtpTestSecurity
		security string
		wantErr  bool
	}{
		{"implicit tls", implicitTLSSMTP, "tls", false},
		{"starttls", startTLSSMTP, "starttls", false},
		{"starttls required but not offered", plainSMTP, "starttls", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &smtpTestServer{user: "helpdesk", pass: "pw"}
			startSMTP(t, srv, tt.server, &cert)
			s := NewSender(SMTPConfig{
				Host: srv.host, Port: srv.port, Security: tt.security,
				Username: "helpdesk", Password: "pw",
				TLSConfig: &tls.Config{RootCAs: pool},
			})
			err := s.Send(context.Background(), "a@b.c", []string{"x@y.z"}, []byte(rawReply))
			if tt.wantErr {
				var se *SendError
				if !errors.As(err, &se) || se.Permanent {
					t.Fatalf("Send: got %v, want temporary *SendError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: got %v, want nil", err)
			}
			if got := srv.received(); len(got) != 1 || string(got[0].data) != rawReply {
				t.Errorf("received: got %+v, want the message once", got)
			}
		})
	}
}

func TestSenderCancel(t *testing.T) {
	srv := &smtpTestServer{inData: make(chan struct{}, 1), release: make(chan struct{})}
	startSMTP(t, srv, plainSMTP, nil)
	defer close(srv.release)

	// An hour-long timeout: only the cancellation can end this Send.
	s := NewSender(SMTPConfig{Host: srv.host, Port: srv.port, Security: "none", Timeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Send(ctx, "a@b.c", []string{"x@y.z"}, []byte(rawReply)) }()

	select {
	case <-srv.inData:
	case <-time.After(waitLimit):
		t.Fatal("server never got to DATA")
	}
	cancel()
	select {
	case err := <-done:
		var se *SendError
		if !errors.As(err, &se) || se.Permanent {
			t.Fatalf("Send: got %v, want temporary *SendError", err)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Send: got %v, want it to wrap context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Send did not return after cancellation")
	}
}
