package store

import (
	"context"
	"testing"
	"time"
)

// TestTicketLanguage: a ticket keeps the language it was opened with and
// its handler's English name; one opened without a language, and every
// ticket from before the column, is Korean.
func TestTicketLanguage(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)
	tests := []struct {
		name, lang, want string
		handler          Contact
	}{
		{"English", "en", "en", Contact{ID: "mslim", Name: "임민수", NameEn: "Minsu Lim", Department: "FTA-PASS 운영팀", DepartmentEn: "FTA-PASS Operations Team"}},
		{"Korean", "ko", "ko", Contact{ID: "mslim", Name: "임민수"}},
		{"unset", "", "ko", Contact{ID: "kioi", Name: "김지원"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := &Ticket{Tag: "FTA-PASS", Mailbox: "fta-pass", Category: "fta-pass", Status: StatusOpen, Handler: tt.handler,
				Customer: "kim@example.com", Subject: "Certificate of origin question", CreatedAt: now, UpdatedAt: now, Language: tt.lang}
			err := s.Write(ctx, func(tx *Tx) error {
				if err := tx.InsertTicket(ctx, tk); err != nil {
					return err
				}
				// A transfer rewrites the handler, English name included,
				// and leaves the language.
				tk.Handler = Contact{ID: "bslee", Name: "이보성", NameEn: "Boseong Lee"}
				tk.Language = "xx"
				return tx.UpdateTicket(ctx, tk)
			})
			if err != nil {
				t.Fatal(err)
			}
			var got *Ticket
			if err := s.Read(ctx, func(tx *Tx) (err error) { got, err = tx.Ticket(ctx, tk.ID); return err }); err != nil {
				t.Fatal(err)
			}
			if got.Language != tt.want || got.Handler.NameEn != "Boseong Lee" || got.Handler.DepartmentEn != "" {
				t.Errorf("got language %q, handler %+v; want %q and Boseong Lee", got.Language, got.Handler, tt.want)
			}
		})
	}
}

// TestUpgradeAddsLanguage: tickets stored before migration 0013 read as
// Korean, with no English names.
func TestUpgradeAddsLanguage(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	s := openOldSQLite(t, 11, `INSERT INTO tickets (tag, mailbox, category, status, handler_name, customer, created_at, updated_at)
		VALUES ('FTA-PASS', 'fta-pass', 'fta-pass', 'open', '임민수', 'kim@example.co.kr', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`)
	var got *Ticket
	if err := s.Read(ctx, func(tx *Tx) (err error) { got, err = tx.Ticket(ctx, 1); return err }); err != nil {
		t.Fatal(err)
	}
	if got.Language != "ko" || got.Handler.Name != "임민수" || got.Handler.NameEn != "" {
		t.Errorf("after upgrade: got language %q, handler %+v", got.Language, got.Handler)
	}
}
