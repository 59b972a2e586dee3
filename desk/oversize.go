package desk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/message"
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
// recorded), in one transaction with the cursor: the folder goes on and
// nothing is silently dropped. It goes the way Deliver does (deliverInput),
// with the same test hooks, history cutoff and quarantine after
// intakeTries failures.
func (d *Desk) DeliverOversized(ctx context.Context, mbox string, uidValidity, uid uint32, header []byte, size int64) error {
	msg, _ := message.Parse(header)
	// The header alone does not identify the content: the Message-ID and
	// the size do, or failing an id, the header's bytes.
	sum := sha256.Sum256(fmt.Appendf(nil, "oversized\x00%s\x00%d", msg.MessageID, size))
	if msg.MessageID == "" {
		sum = sha256.Sum256(append([]byte("oversized\x00"), header...))
	}
	in := intakeInput{mbox: mbox, uv: uidValidity, uid: uid, raw: header, hash: hex.EncodeToString(sum[:]), msg: msg,
		perr: &oversizeError{mbox: mbox, uid: uid, size: size}}
	return d.deliverInput(d.withSnapshot(ctx), in, fmt.Sprintf("header of a %d-byte mail", size))
}

var _ mailbox.OversizeHandler = (*Desk)(nil)
