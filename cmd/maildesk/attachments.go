package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// attachmentViews lists the files of a stored mail. Files are not stored
// apart from the mail: they are read from its raw bytes, which are kept
// as received, so a mail with a damaged part still shows what it has.
func attachmentViews(raw []byte) []attachmentView {
	msg, _ := message.Parse(raw)
	names := message.SafeFileNames(msg.Attachments)
	var out []attachmentView
	for i, a := range msg.Attachments {
		out = append(out, attachmentView{Name: names[i], ContentType: a.ContentType, Size: a.Size})
	}
	return out
}

// ticketMessages reads ticket idArg's messages in the order `ticket`
// numbers them.
func ticketMessages(ctx context.Context, configPath, idArg string, fn func(tx *store.Tx, ms []*store.Message) error) error {
	st, _, id, err := openTicket(ctx, configPath, idArg)
	if err != nil {
		return err
	}
	defer st.Close()
	err = st.Read(ctx, func(tx *store.Tx) error {
		if _, err := tx.Ticket(ctx, id); err != nil {
			return err
		}
		ms, err := tx.Messages(ctx, id)
		if err != nil {
			return err
		}
		return fn(tx, ms)
	})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no ticket %d", id)
	}
	return err
}

// writeRaw writes message n (from 1) of a ticket to w exactly as it was
// received (or, for a mail of ours, as it was sent): the original an
// admin forwards, checks a signature on, or opens in a mail client.
func writeRaw(ctx context.Context, configPath, idArg string, n int, w io.Writer) error {
	return ticketMessages(ctx, configPath, idArg, func(tx *store.Tx, ms []*store.Message) error {
		if n < 1 || n > len(ms) {
			return fmt.Errorf("ticket %s has messages 1 to %d; there is no message %d (see: maildesk ticket %s)", idArg, len(ms), n, idArg)
		}
		raw, err := tx.MessageRaw(ctx, ms[n-1].ID)
		if err != nil {
			return err
		}
		_, err = w.Write(raw)
		return err
	})
}

// extractAttachments writes the files of every mail received on a ticket
// into dir, byte for byte, and lists them on w. The names come from the
// sender, so they are made safe (message.SafeFileNames: no separators,
// "..", control characters; clashes numbered) and the files are created
// through an os.Root, which refuses any path out of dir even so. An
// existing file is never overwritten: nothing is written when one of the
// names is taken, and a file that appears meanwhile fails its create.
func extractAttachments(ctx context.Context, configPath, idArg, dir string, w io.Writer) error {
	type file struct {
		msg int
		att message.Attachment
	}
	var files []file
	err := ticketMessages(ctx, configPath, idArg, func(tx *store.Tx, ms []*store.Message) error {
		for i, m := range ms {
			if m.Direction != store.In {
				continue // ours carry copies of these files
			}
			raw, err := tx.MessageRaw(ctx, m.ID)
			if err != nil {
				return err
			}
			msg, _ := message.Parse(raw)
			for _, a := range msg.Attachments {
				files = append(files, file{i + 1, a})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(files) == 0 {
		fmt.Fprintf(w, "ticket %s: no attachments\n", idArg)
		return nil
	}
	atts := make([]message.Attachment, len(files))
	for i, f := range files {
		atts[i] = f.att
	}
	names := message.SafeFileNames(atts)
	// Customers send identity cards and contracts: only the admin reads them.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("attachments: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("attachments: %w", err)
	}
	defer root.Close()
	for _, n := range names {
		if _, err := root.Lstat(n); err == nil {
			return fmt.Errorf("attachments: %s already exists; nothing written (maildesk never overwrites a file: choose an empty directory)", filepath.Join(dir, n))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("attachments: %w", err)
		}
	}
	for i, f := range files {
		if err := writeNew(root, names[i], f.att.Data); err != nil {
			return fmt.Errorf("attachments: %s: %w", filepath.Join(dir, names[i]), err)
		}
		fmt.Fprintf(terminalWriter{w}, "%s  %s  %s  (message %d)\n", filepath.Join(dir, names[i]), f.att.ContentType, desk.HumanSize(f.att.Size), f.msg)
	}
	return nil
}

// writeNew creates name in root, failing if it exists, and writes data.
func writeNew(root *os.Root, name string, data []byte) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
