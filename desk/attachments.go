package desk

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// DefaultStaffAttachmentsMax is Options.StaffAttachmentsMax when 0: the
// default of staff_attachments_max.
const DefaultStaffAttachmentsMax = config.DefaultStaffAttachmentsMax

// noticeFiles is what a handler's notice says of, and carries from, the
// customer's files.
type noticeFiles struct {
	list    []templates.Attachment
	attach  []message.Attachment // the files the notice carries, under their safe names
	extract string               // the command that extracts them, when not attached
	max     string               // the limit they were over
	defects []string
}

// customerFiles reads the files of the latest mail the customer sent on t
// from its raw bytes (files are not stored apart: the mail is kept as
// received, and any parse can be redone). The notice carries them all
// when together they fit the staff_attachments_max limit, else none, and
// lists them either way: a handler who is not told of a file cannot ask
// for it. msg is that mail when intake has just parsed it; nil reads it.
func (d *Desk) customerFiles(ctx context.Context, tx *store.Tx, t *store.Ticket, msg *message.Message) (noticeFiles, error) {
	var nf noticeFiles
	if msg == nil {
		_, raw, err := tx.LastReceivedRaw(ctx, t.ID, KindInquiry, KindFollowUp, KindRegistered)
		if errors.Is(err, store.ErrNotFound) {
			return nf, nil
		}
		if err != nil {
			return nf, err
		}
		var perr error
		msg, perr = message.Parse(raw)
		var pe *message.ParseError
		if errors.As(perr, &pe) {
			nf.defects = append(nf.defects, pe.Problems...)
		}
	}
	nf.defects = slices.Concat(msg.Defects, nf.defects)
	if len(msg.Attachments) == 0 {
		return nf, nil
	}
	var total int64
	for _, a := range msg.Attachments {
		total += a.Size
	}
	attach := d.attachMax > 0 && total <= d.attachMax
	names := message.SafeFileNames(msg.Attachments)
	for i, a := range msg.Attachments {
		nf.list = append(nf.list, templates.Attachment{
			Name: names[i], Type: a.ContentType, Size: HumanSize(a.Size), Attached: attach,
		})
		if attach {
			a.Name = names[i]
			nf.attach = append(nf.attach, a)
		}
	}
	if !attach {
		nf.extract = fmt.Sprintf("maildesk ticket %d -attachments DIR", t.ID)
		if d.attachMax > 0 {
			nf.max = HumanSize(d.attachMax)
		}
	}
	return nf, nil
}

// HumanSize writes a size in bytes as people read it: "812 B", "350 KB",
// "1.2 MB" (binary units, as staff_attachments_max counts them).
func HumanSize(n int64) string {
	const k = 1 << 10
	// A size that rounds to 1024 of a unit is written in the next one.
	switch {
	case n < k:
		return fmt.Sprintf("%d B", n)
	case n < k*k-k/2:
		return fmt.Sprintf("%s KB", oneDecimal(n, k))
	case n < k*k*k-k*k/2:
		return fmt.Sprintf("%s MB", oneDecimal(n, k*k))
	}
	return fmt.Sprintf("%s GB", oneDecimal(n, k*k*k))
}

// oneDecimal is n/unit with one decimal, which is dropped when it is 0 or
// the value is 10 or more ("350", "1.2", "10").
func oneDecimal(n, unit int64) string {
	tenths := (n*10 + unit/2) / unit
	if tenths >= 100 || tenths%10 == 0 {
		return fmt.Sprint((n + unit/2) / unit)
	}
	return fmt.Sprintf("%d.%d", tenths/10, tenths%10)
}
