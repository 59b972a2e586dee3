package desk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// oversizeError is the quarantine reason of a mail too large to fetch.
type oversizeError struct {
	mbox string
	uid  uint32
	size int64
}

func (e *oversizeError) Error() string {
	return fmt.Sprintf("mail of %d bytes is larger than max_message_size: only its header was stored; the whole mail stays on the IMAP server (mailbox %s, UID %d)",
		e.size, e.mbox, e.uid)
}

// DeliverOversized implements mailbox.OversizeHandler. A mail above the
// size limit is stored as its header, quarantined with the reason, and the
// mailbox's handler told (or, when it is a bounce or an auto-reply, only
// recorded), in one transaction with the cursor, as Deliver does: the
// folder goes on and nothing is silently dropped.
func (d *Desk) DeliverOversized(ctx context.Context, mbox string, uidValidity, uid uint32, header []byte, size int64) error {
	ctx = d.withSnapshot(ctx)
	msg, _ := message.Parse(header)
	if msg == nil {
		msg = &message.Message{}
	}
	oe := &oversizeError{mbox: mbox, uid: uid, size: size}
	// The header alone does not identify the content: the Message-ID and
	// the size do, or failing an id, the header's bytes.
	sum := sha256.Sum256(fmt.Appendf(nil, "oversized\x00%s\x00%d", msg.MessageID, size))
	if msg.MessageID == "" {
		sum = sha256.Sum256(append([]byte("oversized\x00"), header...))
	}
	hash := hex.EncodeToString(sum[:])
	queued := false
	err := d.store.Write(ctx, func(tx *store.Tx) error {
		now := d.clock.Now()
		in := intakeInput{mbox: mbox, uv: uidValidity, uid: uid, raw: header, hash: hash, msg: msg, perr: oe, now: now}
		dec, err := d.classify(ctx, tx, in)
		if err != nil {
			return err
		}
		if queued, err = d.apply(ctx, tx, in, dec); err != nil {
			return err
		}
		return d.advance(ctx, tx, mbox, uidValidity, uid)
	})
	if err != nil {
		return fmt.Errorf("intake %s uid %d/%d (header of a %d-byte mail): %w", mbox, uidValidity, uid, size, d.diskFull(err, "the mail (on the IMAP server)"))
	}
	if queued {
		d.wake()
	}
	return nil
}

var _ mailbox.OversizeHandler = (*Desk)(nil)
