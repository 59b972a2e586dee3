package message

import (
	"strings"
)

// Reasons returned by LooksAutomatic.
const (
	ReasonNoReply       = "no-reply"       // From is a no-reply address
	ReasonListManager   = "list-manager"   // From is a list manager's address (-admin, -owner, -request, -bounces)
	ReasonBounceSubject = "bounce-subject" // the subject is a delivery failure's or an abuse complaint's
)

// LooksAutomatic is the weaker sibling of Automatic: mail whose headers do
// not say it is automatic, but that no person expects an answer to. It
// reports why, or "". Such mail may well matter to staff (a customer
// forwarding a bounce of their own mail, a cloud provider's notification),
// so unlike Automatic it is meant to open a ticket, just never to be
// answered automatically:
//
//   - "no-reply": the sender's local part is no-reply, noreply,
//     do-not-reply or donotreply (any case, also with a suffix like
//     no-reply-42);
//   - "list-manager": the local part ends in -admin, -owner, -request or
//     -bounces, or starts with owner- (mailing-list software);
//   - "bounce-subject": the subject, without reply and forward markers
//     (BaseSubject: Re:, Fwd:, AW:, 회신:, Re[2]: …), starts
//     like a delivery failure notice or an abuse complaint ("Returned
//     mail:", "Undeliverable:", "complaint about message from", …).
func (m *Message) LooksAutomatic() string {
	if m == nil {
		return ""
	}
	local := strings.ToLower(m.From.Addr)
	if i := strings.LastIndexByte(local, '@'); i >= 0 {
		local = local[:i]
	}
	for _, p := range []string{"no-reply", "noreply", "do-not-reply", "donotreply", "no_reply"} {
		if local == p || strings.HasPrefix(local, p+"-") || strings.HasPrefix(local, p+"+") || strings.HasPrefix(local, p+".") {
			return ReasonNoReply
		}
	}
	for _, s := range []string{"-admin", "-owner", "-request", "-bounces"} {
		if strings.HasSuffix(local, s) && len(local) > len(s) {
			return ReasonListManager
		}
	}
	if strings.HasPrefix(local, "owner-") {
		return ReasonListManager
	}
	subj := strings.ToLower(BaseSubject(m.Subject))
	for _, p := range bounceSubjects {
		if strings.HasPrefix(subj, p) {
			return ReasonBounceSubject
		}
	}
	return ""
}

// bounceSubjects start the subjects MTAs and abuse desks give their
// notices (lower case).
var bounceSubjects = []string{
	"returned mail:", "undelivered mail returned to sender", "undeliverable:", "undeliverable mail",
	"delivery status notification", "mail delivery failed", "mail delivery failure", "delivery failure",
	"failure notice", "mail system error", "delivery notification: delivery has failed",
	"complaint about message from", "loop alert:",
}
