package message

import (
	"strings"

	"github.com/kioi/maildesk/message/internal/charset"
)

// Reasons returned by Automatic.
const (
	ReasonAutoSubmitted  = "auto-submitted"
	ReasonPrecedence     = "precedence"
	ReasonList           = "list"
	ReasonNullSender     = "null-sender"
	ReasonMailerDaemon   = "mailer-daemon"
	ReasonDeliveryReport = "delivery-report"
	ReasonXAutoreply     = "x-autoreply"
)

// Automatic reports why m is automatic mail that must never be answered
// (RFC 3834), or "" when it may be answered. The first matching reason wins,
// in this order:
//
//   - "auto-submitted": Auto-Submitted present and not "no";
//   - "precedence": Precedence bulk, junk, list (or auto_reply, used by
//     vacation programs);
//   - "list": List-Id or List-Unsubscribe present;
//   - "null-sender": Return-Path <>, or From missing or without address;
//   - "mailer-daemon": From or Return-Path local part MAILER-DAEMON or
//     postmaster (any case, with or without "-" and "_");
//   - "delivery-report": Content-Type multipart/report, or a
//     message/delivery-status part anywhere (also the other machine reports:
//     message/disposition-notification, message/feedback-report);
//   - "x-autoreply": X-Autoreply or X-Autorespond present,
//     X-Auto-Response-Suppress containing All or OOF, or iCloud's
//     X-Apple-Action: VACATION.
func (m *Message) Automatic() string {
	if m == nil {
		return ""
	}
	h := &m.Header
	if h.Has("Auto-Submitted") {
		v := strings.ToLower(strings.TrimSpace(stripComments(charset.FixHeader(h.Get("Auto-Submitted")))))
		if i := strings.IndexByte(v, ';'); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		if v != "no" {
			return ReasonAutoSubmitted
		}
	}
	switch strings.ToLower(strings.TrimSpace(stripComments(h.Get("Precedence")))) {
	case "bulk", "junk", "list", "auto_reply":
		return ReasonPrecedence
	}
	if h.Has("List-Id") || h.Has("List-Unsubscribe") {
		return ReasonList
	}
	if m.NullSender || m.From.Addr == "" {
		return ReasonNullSender
	}
	if isDaemon(m.From.Addr) || isDaemon(m.ReturnPath) {
		return ReasonMailerDaemon
	}
	if m.deliveryReport {
		return ReasonDeliveryReport
	}
	if mt, _ := parseMediaType(h.Get("Content-Type"), "text/plain"); mt == "multipart/report" {
		return ReasonDeliveryReport
	}
	if h.Has("X-Autoreply") || h.Has("X-Autorespond") {
		return ReasonXAutoreply
	}
	if strings.EqualFold(strings.TrimSpace(h.Get("X-Apple-Action")), "VACATION") {
		return ReasonXAutoreply
	}
	for _, v := range h.Values("X-Auto-Response-Suppress") {
		for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == ';' }) {
			if strings.EqualFold(tok, "All") || strings.EqualFold(tok, "OOF") {
				return ReasonXAutoreply
			}
		}
	}
	return ""
}

func isDaemon(addr string) bool {
	local := addr
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		local = addr[:i]
	}
	local = strings.Trim(local, `"`)
	// Spelled variously by real MTAs: MAILER-DAEMON, mailer_daemon,
	// post_master (Verizon), Post-Master.
	local = strings.Map(func(r rune) rune {
		if r == '-' || r == '_' {
			return -1
		}
		return r
	}, local)
	return strings.EqualFold(local, "mailerdaemon") || strings.EqualFold(local, "postmaster")
}
