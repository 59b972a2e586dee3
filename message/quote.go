package message

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SplitReply separates the new part of a plain-text reply from the history
// it carries: quoted mail below an attribution ("On … wrote:", "… 님이
// 작성:"), an Outlook delimiter or header block ("-----Original
// Message-----", "보낸 사람: / 제목:"), a trailing ">" quote, and the
// writer's signature ("-- ", "Sent from my iPhone", "iPhone에서 보냄").
//
// The split is by whole lines: every line of text ends up, unchanged, in
// exactly one of newText and quoted (leading and trailing blank lines of
// each are dropped). Quoting interleaved with new text (inline answers
// below "> question" lines) stays in newText, because there the quote is the
// context of the answer; only the quote that follows the last new line is
// moved out. A message that is nothing but a quote, without an attribution,
// is kept whole as newText: it is all the sender wrote.
func SplitReply(text string) (newText, quoted string) {
	p := splitReply(text)
	return p.newText, p.quoted
}

// replyParts is SplitReply's result with the signature kept apart, so that
// tests can compare against reply extractors that leave signatures in.
type replyParts struct {
	newText   string
	signature string // the signature alone (also part of quoted)
	quoted    string // history and signature, in input order
}

type lineKind uint8

const (
	kindNew lineKind = iota
	kindQuoted
	kindSignature
)

// maxHeaderScan bounds how long a line the attribution and header
// recognisers look at: real header lines are short, and this keeps a
// pathological single-line body linear.
const maxHeaderScan = 1000

func splitReply(text string) replyParts {
	lines := strings.Split(normalizeNewlines(text), "\n")
	kinds := make([]lineKind, len(lines))

	// 1. Quote headers. Below a header whose history is ">"-quoted, the
	// history ends with the quote, and what follows is the sender's answer
	// (bottom posting, inline answers: Thunderbird, Apple Mail, mailing
	// lists). Below a header whose history is not marked (Outlook, Gmail's
	// forwards, webmail), nothing tells where it ends, so the rest of the
	// text is history, unless the sender wrote nothing before it.
	hasNew := false
	for i := 0; i < len(lines); i++ {
		n := matchQuoteHeader(lines, i)
		if n == 0 {
			if !isBlank(lines[i]) && !isQuoteLine(lines[i]) {
				hasNew = true
			}
			continue
		}
		k := i + n
		for k < len(lines) && isBlank(lines[k]) {
			k++
		}
		if k < len(lines) && isQuoteLine(lines[k]) {
			for k < len(lines) {
				if isBlank(lines[k]) || isQuoteLine(lines[k]) {
					k++
					continue
				}
				// A line that lost its ">" when the quote was re-wrapped
				// sits between two quote lines.
				e := k
				for e < len(lines) && !isBlank(lines[e]) && !isQuoteLine(lines[e]) {
					e++
				}
				if !isQuoteLine(lines[k-1]) || e == len(lines) || !isQuoteLine(lines[e]) {
					break
				}
				k = e
			}
			for j := i; j < k; j++ {
				kinds[j] = kindQuoted
			}
			i = k - 1
			continue
		}
		if hasNew {
			for j := i; j < len(lines); j++ {
				kinds[j] = kindQuoted
			}
			break
		}
		for j := i; j < i+n; j++ {
			kinds[j] = kindQuoted
		}
		i += n - 1
	}

	// 2. The ">" quote after the last new line.
	last := -1
	for i := len(lines) - 1; i >= 0; i-- {
		if kinds[i] == kindNew && !isBlank(lines[i]) && !isQuoteLine(lines[i]) {
			last = i
			break
		}
	}
	if last >= 0 {
		for i := last + 1; i < len(lines); i++ {
			if kinds[i] == kindNew && isQuoteLine(lines[i]) {
				kinds[i] = kindQuoted
			}
		}
	}

	// 3. The signature: from its first line to the end of the new text.
	if s := findSignature(lines, kinds, last); s >= 0 {
		for i := s; i <= last; i++ {
			if kinds[i] == kindNew {
				kinds[i] = kindSignature
			}
		}
	}

	// Blank lines between history lines belong to the history.
	prev := kindNew
	for i := 0; i < len(lines); i++ {
		if !isBlank(lines[i]) {
			prev = kinds[i]
			continue
		}
		j := i
		for j < len(lines) && isBlank(lines[j]) {
			j++
		}
		next := kindQuoted
		if j < len(lines) {
			next = kinds[j]
		}
		if i > 0 && prev != kindNew && next != kindNew {
			for k := i; k < j; k++ {
				kinds[k] = max(prev, next)
			}
		}
		i = j - 1
	}

	var nw, sig, rest []string
	for i, l := range lines {
		switch kinds[i] {
		case kindNew:
			nw = append(nw, l)
		case kindSignature:
			sig = append(sig, l)
			rest = append(rest, l)
		default:
			rest = append(rest, l)
		}
	}
	return replyParts{newText: joinTrimmed(nw), signature: joinTrimmed(sig), quoted: joinTrimmed(rest)}
}

// joinTrimmed joins lines, dropping leading and trailing blank lines.
func joinTrimmed(lines []string) string {
	for len(lines) > 0 && isBlank(lines[0]) {
		lines = lines[1:]
	}
	for len(lines) > 0 && isBlank(lines[len(lines)-1]) {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

func isBlank(s string) bool {
	return strings.TrimFunc(s, isSpaceOrMark) == ""
}

// isSpaceOrMark also counts invisible characters mail clients leave on
// otherwise empty lines (non-breaking and zero-width spaces, BOM, and the
// "ᐧ" Gmail's tracking extensions append).
func isSpaceOrMark(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\ufeff' || r == '\u1427'
}

// isQuoteLine reports a line quoted with ">" or, as some older clients
// and mailing-list digests do, with "| ".
func isQuoteLine(s string) bool {
	s = strings.TrimLeft(s, " \t")
	return strings.HasPrefix(s, ">") || s == "|" || strings.HasPrefix(s, "| ")
}

// unquoteLine strips ">" quoting and the bold markers ("*From:*") some
// clients put around header names in their plain-text part.
func unquoteLine(s string) string {
	s = strings.TrimLeft(s, " \t>|")
	return strings.TrimFunc(s, isSpaceOrMark)
}

// ---------------------------------------------------------------------------
// Quote headers. Each recogniser looks at the lines from i and returns how
// many lines the header takes, or 0.

type quoteHeaderRule struct {
	name  string
	match func(lines []string, i int) int
}

var quoteHeaderRules = []quoteHeaderRule{
	{"delimiter (-----Original Message-----)", matchDelimiter},
	{"attribution (On … wrote:)", matchAttribution},
	{"header block (From: / Sent: / Subject:)", matchHeaderBlock},
}

func matchQuoteHeader(lines []string, i int) int {
	if isBlank(lines[i]) || len(lines[i]) > maxHeaderScan {
		return 0
	}
	for _, r := range quoteHeaderRules {
		if n := r.match(lines, i); n > 0 {
			return n
		}
	}
	return 0
}

// delimiterWords are the texts clients put between dashes above the quoted
// or forwarded mail, lower-case.
var delimiterWords = []string{
	"original message", "original-message", "forwarded message", "forwarded-message", "forward message",
	"원본 메시지", "원본메시지", "전달된 메시지", "전달 메시지", "전달된 메일", "원본 메일",
	"message d'origine", "message d’origine", "message transféré", "message original",
	"ursprüngliche nachricht", "originalnachricht", "weitergeleitete nachricht",
	"mensaje original", "mensaje reenviado", "messaggio originale", "messaggio inoltrato",
	"oorspronkelijk bericht", "origineel bericht", "doorgestuurd bericht",
	"originalmeddelande", "vidarebefordrat meddelande", "opprinnelig melding", "videresendt melding",
	"oprindelig meddelelse", "oprindelig besked", "ursprungligt meddelande", "opprinnelig e-post", "videresendt meddelelse", "alkuperäinen viesti", "välitetty viesti",
	"wiadomość oryginalna", "oryginalna wiadomość", "przekazana wiadomość",
	"mensagem original", "mensagem encaminhada",
	"исходное сообщение", "оригинальное сообщение", "пересылаемое сообщение", "пересланное сообщение",
	"原始邮件", "原始郵件", "转发的邮件", "轉寄的郵件", "元のメッセージ", "転送されたメッセージ",
	"reply above this line", "reply below this line",
}

// matchDelimiter recognises "-----Original Message-----", "------- Original
// Message -------", "---------- Forwarded message ---------" and the like,
// and Zoho's "---- On … wrote ----".
func matchDelimiter(lines []string, i int) int {
	s := strings.Trim(unquoteLine(lines[i]), "*")
	if !strings.HasPrefix(s, "--") && !strings.HasPrefix(s, "__") && !strings.HasPrefix(s, "==") {
		return 0
	}
	inner := strings.Trim(s, "-_=* ")
	if inner == "" || utf8.RuneCountInString(inner) > 200 {
		return 0
	}
	low := strings.ToLower(inner)
	for _, w := range delimiterWords {
		if strings.Contains(low, w) {
			return 1
		}
	}
	if isAttribution(inner, false) {
		return 1
	}
	return 0
}

// attributionVerbs end the line a client writes above the quoted mail,
// lower-case; the line must also end in a colon (or the verb) and carry a
// date or an address.
var attributionVerbs = []string{
	"wrote", "writes", "sent",
	"작성", "쓴 글", "님의 메시지", "쓰셨습니다", "썼습니다",
	"a écrit", "schrieb", "geschrieben", "escribió", "escreveu", "ha scritto",
	"schreef", "geschreven", "skrev", "kirjoitti", "napisał", "napisała", "pisze", "napsal",
	"написал", "написала", "написав", "пише", "писал", "yazdı",
	"写道", "寫道", "書きました",
}

// isAttribution reports whether s (already unquoted) reads as "On <date>,
// <name> wrote:". needColon is false for Zoho's dashed form.
func isAttribution(s string, needColon bool) bool {
	// With needColon, every way to true below needs a digit or an '@' in
	// s (the date, the address), so a line without either is no
	// attribution; checked first because it is asked of nearly every line
	// of every mail, and lower-casing each of them was a third of
	// SplitReply's time in the backlog's profile.
	if needColon && !strings.ContainsAny(s, "0123456789@") {
		return false
	}
	if len(s) > 400 && utf8.RuneCountInString(s) > 400 {
		return false
	}
	trimmed := strings.TrimRightFunc(s, func(r rune) bool { return r == '*' || isSpaceOrMark(r) })
	// With needColon the line must end in a colon or in a bare verb; most
	// lines of prose end in neither, and telling so from their tail spares
	// lower-casing the whole line, which was most of isAttribution's time
	// on Korean mail (unicode.ToLower for every Hangul rune).
	if needColon && !strings.HasSuffix(trimmed, ":") && !strings.HasSuffix(trimmed, "：") && !endsInBareVerb(trimmed) {
		return false
	}
	low := strings.ToLower(trimmed)
	end := strings.TrimRightFunc(strings.TrimRight(low, ":："), isSpaceOrMark)
	if needColon && end == low {
		// Some clients drop the colon: "On <date> <name> <addr> wrote".
		for _, v := range bareVerbs {
			if strings.HasSuffix(end, v) && strings.Contains(end, "@") && timeLike(end) {
				return true
			}
		}
		return false
	}
	// Gmail in many locales writes only "<date> <name> <addr>:" (no verb).
	if needColon && strings.Contains(end, "@") && strings.HasSuffix(end, ">") && timeLike(end) {
		return true
	}
	hasVerb := false
	// Inside the line a verb counts only beside an address: without one,
	// the word search (most of isAttribution's time) is not needed.
	addr := strings.ContainsAny(end, "@<")
	for _, v := range attributionVerbs {
		if strings.HasSuffix(end, v) || (addr && containsWord(end, v)) {
			hasVerb = true
			break
		}
	}
	if !hasVerb {
		return false
	}
	if v := "sent"; strings.HasSuffix(end, v) && !strings.Contains(end, "@") {
		return false // "… was sent:" is prose, not an attribution
	}
	return strings.ContainsAny(s, "0123456789@")
}

// bareVerbs end the attributions of clients that drop the colon.
var bareVerbs = []string{"wrote", "a écrit", "schrieb", "escribió", "ha scritto", "schreef", "skrev", "작성"}

// endsInBareVerb reports whether s, lower-cased, ends in one of bareVerbs.
// It lower-cases only the last 16 runes: strings.ToLower maps rune by rune
// and no rune lowers to nothing, so those give at least 16 bytes, more than
// the longest verb, and the answer is the one for the whole of s.
func endsInBareVerb(s string) bool {
	tail := s
	for i, n := len(s), 0; i > 0 && n < 16; n++ {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
		tail = s[i:]
	}
	low := strings.ToLower(tail)
	for _, v := range bareVerbs {
		if strings.HasSuffix(low, v) {
			return true
		}
	}
	return false
}

// containsWord reports whether w occurs in s between non-letters, so that
// "sent" is not found in "present".
func containsWord(s, w string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return false
		}
		i += off
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+len(w):])
		if (i == 0 || !unicode.IsLetter(before)) && (i+len(w) == len(s) || !unicode.IsLetter(after)) {
			return true
		}
		off = i + len(w)
	}
}

// gmailISODate is how Gmail starts an attribution in several locales:
// "2016-03-03 17:21 GMT+01:00 Name <addr>:", the address sometimes lost.
var gmailISODate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2} GMT[+-]\d{1,2}:\d{2} \S`)

// timeLike reports whether s holds a clock time ("15:19", "17.50") or a
// four-digit year.
func timeLike(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			digits++
			if digits == 4 {
				return true
			}
			continue
		}
		if (c == ':' || c == '.') && digits >= 1 && i+2 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) {
			return true
		}
		digits = 0
	}
	return false
}

// endsSentence reports whether s ends with a full stop after a word longer
// than the month and weekday abbreviations attributions use ("apr.",
// "janv.", "Fr.").
func endsSentence(s string) bool {
	if !strings.HasSuffix(s, ".") {
		return false
	}
	if strings.HasSuffix(s, "..") || strings.HasSuffix(s, "…") {
		return true
	}
	s = strings.TrimRight(s, ".")
	// The word is counted to 16 letters at most, from the end.
	n := 0
	for ; n < 16 && s != ""; n++ {
		r, size := utf8.DecodeLastRuneInString(s)
		if !unicode.IsLetter(r) {
			break
		}
		s = s[:len(s)-size]
	}
	return n > 4
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func matchAttribution(lines []string, i int) int {
	s := unquoteLine(lines[i])
	if isAttribution(s, true) || gmailISODate.MatchString(s) {
		return 1
	}
	// "<date> <name> <addr>" without the colon, directly above a quote.
	if !isQuoteLine(lines[i]) && strings.HasSuffix(s, ">") && strings.Contains(s, "@") && timeLike(s) {
		k := i + 1
		for k < len(lines) && isBlank(lines[k]) {
			k++
		}
		if k < len(lines) && isQuoteLine(lines[k]) {
			return 1
		}
	}
	// A folded attribution starts with a date or an address, and not at
	// the end of a sentence ("… let you know then.").
	if !strings.ContainsAny(s, "0123456789@") || endsSentence(s) {
		return 0
	}
	joined := s
	for n := 2; n <= 3 && i+n-1 < len(lines); n++ {
		next := lines[i+n-1]
		// Some clients fold before the closing ">:" of the address, which
		// then reads as a quote line.
		bracket := strings.HasPrefix(strings.TrimSpace(next), ">:") || strings.TrimSpace(next) == ">"
		if isBlank(next) || len(next) > maxHeaderScan || (isQuoteLine(next) != isQuoteLine(lines[i]) && !bracket) {
			return 0
		}
		if bracket {
			joined += strings.TrimSpace(next)
			if isAttribution(joined, true) {
				return n
			}
			return 0
		}
		joined += " " + unquoteLine(next)
		if isAttribution(joined, true) {
			return n
		}
	}
	return 0
}

type headerRole uint8

const (
	roleNone headerRole = iota
	roleFrom
	roleTo
	roleCc
	roleDate
	roleSubject
)

// headerNames maps the lower-case field names that clients print above
// quoted mail to their role, in the languages our customers and the
// corpus write.
var headerNames = map[string]headerRole{
	"from": roleFrom, "보낸 사람": roleFrom, "보낸사람": roleFrom, "보낸이": roleFrom, "발신자": roleFrom, "발신": roleFrom,
	"de": roleFrom, "von": roleFrom, "van": roleFrom, "da": roleFrom, "fra": roleFrom, "från": roleFrom,
	"od": roleFrom, "от": roleFrom, "від": roleFrom, "发件人": roleFrom, "寄件者": roleFrom, "差出人": roleFrom,
	"lähettäjä": roleFrom, "afsender": roleFrom, "remitente": roleFrom, "mittente": roleFrom, "feladó": roleFrom,

	"to": roleTo, "받는 사람": roleTo, "받는사람": roleTo, "받는이": roleTo, "수신자": roleTo, "수신": roleTo,
	"à": roleTo, "a": roleTo, "an": roleTo, "aan": roleTo, "til": roleTo, "till": roleTo, "do": roleTo,
	"кому": roleTo, "для": roleTo, "para": roleTo, "收件人": roleTo, "收件者": roleTo, "宛先": roleTo,
	"vastaanottaja": roleTo, "destinatario": roleTo, "per": roleTo, "címzett": roleTo,

	"cc": roleCc, "참조": roleCc, "copie à": roleCc, "kopie": roleCc, "kopie an": roleCc, "cópia": roleCc,
	"копия": roleCc, "抄送": roleCc, "副本": roleCc, "kopio": roleCc, "bcc": roleCc, "숨은 참조": roleCc,

	"sent": roleDate, "date": roleDate, "날짜": roleDate, "보낸 날짜": roleDate, "보낸날짜": roleDate, "발송일": roleDate,
	"envoyé": roleDate, "envoyé le": roleDate, "message du": roleDate, "gesendet": roleDate, "datum": roleDate,
	"verzonden": roleDate, "enviado": roleDate, "enviada": roleDate, "inviato": roleDate, "sendt": roleDate,
	"skickat": roleDate, "wysłano": roleDate, "data": roleDate, "отправлено": roleDate, "дата": roleDate,
	"надіслано": roleDate, "发送时间": roleDate, "日期": roleDate, "寄件日期": roleDate, "送信日時": roleDate,
	"fecha": roleDate, "dato": roleDate, "tid": roleDate, "lähetetty": roleDate, "päivämäärä": roleDate, "dátum": roleDate, "sent at": roleDate,

	"subject": roleSubject, "제목": roleSubject, "objet": roleSubject, "sujet": roleSubject, "betreff": roleSubject,
	"onderwerp": roleSubject, "asunto": roleSubject, "assunto": roleSubject, "oggetto": roleSubject,
	"emne": roleSubject, "ämne": roleSubject, "temat": roleSubject, "тема": roleSubject, "主题": roleSubject,
	"主旨": roleSubject, "件名": roleSubject, "aihe": roleSubject, "tárgy": roleSubject,
}

// headerField parses s as "Name: value" with a known name and returns its
// role.
func headerField(s string) (headerRole, string) {
	s = strings.TrimLeft(unquoteLine(s), "*")
	i := strings.IndexAny(s, ":：")
	if i <= 0 || i > 40 {
		return roleNone, ""
	}
	name := strings.ToLower(strings.Trim(s[:i], " *\u00a0"))
	role := headerNames[name]
	if role == roleNone {
		return roleNone, ""
	}
	_, w := utf8.DecodeRuneInString(s[i:])
	return role, strings.TrimSpace(strings.TrimLeft(s[i+w:], "*"))
}

// isRuleLine reports a line of only dashes, underscores, equals signs or
// stars, which Outlook and webmail put above a header block.
func isRuleLine(s string) bool {
	s = unquoteLine(s)
	return len(s) >= 4 && strings.Trim(s, "-_=*") == ""
}

// matchHeaderBlock recognises the field block Outlook and webmail print
// above quoted or forwarded mail: at least two different fields, one of
// them the sender or the date, optionally under a rule line. A lone
// "From: … [mailto:…]" or "From: name <addr>" line counts as well.
func matchHeaderBlock(lines []string, i int) int {
	j := i
	if isRuleLine(lines[j]) {
		j++
		for k := 0; k < 2 && j < len(lines) && isBlank(lines[j]); k++ {
			j++
		}
	}
	seen := map[headerRole]bool{}
	start, end := j, j
	for unknown := 0; j < len(lines) && j-start < 16; j++ {
		if len(lines[j]) > maxHeaderScan || isBlank(lines[j]) {
			break
		}
		role, _ := headerField(lines[j])
		if role == roleNone {
			// Folded values ("Subject: … \n spans two lines", "From: Name
			// \n <addr>") and fields we do not know ("Reply-To:") may sit
			// inside the block.
			if j == start || unknown == 2 {
				break
			}
			unknown++
			continue
		}
		if j == start && role != roleFrom && role != roleDate && role != roleSubject {
			return 0
		}
		unknown = 0
		seen[role] = true
		end = j + 1
	}
	if end == start {
		return 0
	}
	if len(seen) >= 2 && (seen[roleFrom] || seen[roleDate]) {
		return end - i
	}
	// A lone "From: Name [mailto:addr]" or "From: Name <addr>" line, not
	// inside a quote (where it is more likely quoted prose).
	if end-start == 1 && start == i && seen[roleFrom] && !isQuoteLine(lines[i]) {
		_, val := headerField(lines[i])
		if strings.Contains(val, "[mailto:") || (strings.Contains(val, "@") && strings.ContainsAny(val, "<[")) {
			return 1
		}
	}
	return 0
}

// ---------------------------------------------------------------------------
// Signatures

// deviceSignatures start the one-line signature mobile and webmail clients
// append, lower-case (after "(" or "<<" and blanks).
var deviceSignatures = []string{
	"sent from my ", "sent from ", "sent via ", "sent with ", "sent using ", "sent by ", "get outlook for ",
	"envoyé depuis ", "envoyé de mon ", "envoyé à partir de ", "envoyé avec ", "von meinem ", "gesendet von ", "gesendet mit ",
	"verzonden met ", "verzonden vanaf ", "verstuurd vanaf ", "enviado desde ", "enviado do meu ", "enviado de mi ",
	"inviato da ", "sendt fra ", "skickat från ", "wysłane z ", "отправлено с ", "отправлено из ",
	"diese nachricht wurde von meinem ", "从我的", "從我的", "发自我的", "來自我的",
}

// deviceSignatureSuffixes end such a line (Korean clients put the device
// first: "iPhone에서 보냄", "Galaxy에서 보냄").
var deviceSignatureSuffixes = []string{
	"에서 보냄", "에서 보냈습니다", "에서 보낸 메일", "에서 보냄.", "에서 보냈습니다.", "から送信", "傳送", "发送",
}

func isDeviceSignature(s string) bool {
	s = strings.TrimLeft(unquoteLine(s), "(<*_ ")
	if utf8.RuneCountInString(s) > 80 || strings.Contains(s, ", ") && !strings.HasSuffix(strings.ToLower(s), "에서 보냄") {
		return false
	}
	low := strings.ToLower(strings.TrimRight(s, ")>*_ "))
	for _, p := range deviceSignatures {
		if strings.HasPrefix(low, p) && len(strings.Fields(low)) <= 10 {
			return true
		}
	}
	for _, p := range deviceSignatureSuffixes {
		if strings.HasSuffix(low, p) && len(strings.Fields(low)) <= 6 {
			return true
		}
	}
	return false
}

// findSignature returns the first line of the signature among the new
// lines up to last, or -1.
func findSignature(lines []string, kinds []lineKind, last int) int {
	for i := 0; i <= last; i++ {
		if kinds[i] != kindNew || isQuoteLine(lines[i]) {
			continue
		}
		s := strings.TrimRight(lines[i], " \t")
		t := strings.TrimSpace(s)
		switch {
		case s == "--" || s == "-- " || s == "—":
			return i
		case len(t) >= 2 && strings.Trim(t, "_") == "":
			return i
		case isDeviceSignature(s):
			return i
		}
	}
	return -1
}
