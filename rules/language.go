package rules

import (
	"strconv"
	"unicode"
)

// The languages a ticket's customer mail can lead with, as ISO 639-1
// codes: the store keeps them as they are, and a route's `language` key
// takes them.
const (
	LangKorean  = "ko"
	LangEnglish = "en"
)

// language decides which language the mail to the customer of a new
// inquiry puts first: the deciding route's `language`, else English when
// the customer wrote letters but not one Hangul syllable or jamo in the
// subject and the text, else Korean. It returns the language and why.
//
// A mail with no letters at all (an attachment, a bare number) stays
// Korean: nothing says its sender reads English better, and most of our
// customers are Korean. in.Text is the customer's new text (desk hands
// over Message.NewText), so quoted history and a signature in another
// language do not decide.
func language(in *Input, route *Route) (lang, why string) {
	if route != nil && route.Language != "" {
		return route.Language, "route " + route.Where()
	}
	letters := false
	for _, s := range [...]string{in.Subject, in.Text} {
		for _, r := range s {
			if unicode.Is(unicode.Hangul, r) {
				return LangKorean, "Hangul in the mail"
			}
			letters = letters || unicode.IsLetter(r)
		}
	}
	if letters {
		return LangEnglish, "no Hangul in subject and text"
	}
	return LangKorean, "no letters to tell by (default)"
}

// hasHangul reports whether s has a Hangul character, which an English
// name or department must not: it would show in the English part.
func hasHangul(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Hangul, r) {
			return true
		}
	}
	return false
}

// checkLanguage reports a `language` value that is not one of ours.
func (f *tomlFile) checkLanguage(key, lang string) {
	switch lang {
	case "", LangKorean, LangEnglish:
	default:
		f.Addf(key, "language = %s: want %q or %q", strconv.Quote(lang), LangEnglish, LangKorean)
	}
}
