package mailbox

import (
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

	// 1. The first quote header (attribution, delimiter or header block).
	// When new text precedes it, everything from it on is history: the
	// common top-posted reply. When only blank or ">" lines precede it, the
	// sender answered below or between the quotes (Thunderbird's default),
	// so the header and the ">" lines are history and the rest is new.
	hasNewBefore := false
	for i := 0; i < len(lines); i++ {
		n := matchQuoteHeader(lines, i)
		if n == 0 {
			if !isBlank(lines[i]) && !isQuoteLine(lines[i]) {
				hasNewBefore = true
			}
			continue
		}
		if hasNewBefore {
			for j := i; j < len(lines); j++ {
				kinds[j] = kindQuoted
			}
			break
		}
		for j := i; j < i+n; j++ {
			kinds[j] = kindQuoted
		}
		for j := i + n; j < len(lines); j++ {
			if isQuoteLine(lines[j]) {
				kinds[j] = kindQuoted
				continue
			}
			if isBlank(lines[j]) {
				continue
			}
			if m := matchQuoteHeader(lines, j); m > 0 {
				if hasNewBefore {
					for k := j; k < len(lines); k++ {
						kinds[k] = kindQuoted
					}
					break
				}
				for k := j; k < j+m; k++ {
					kinds[k] = kindQuoted
				}
				j += m - 1
				continue
			}
			hasNewBefore = true
		}
		break
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

func isQuoteLine(s string) bool {
	return strings.HasPrefix(strings.TrimLeft(s, " \t"), ">")
}

// unquoteLine strips ">" quoting and the bold markers ("*From:*") some
// clients put around header names in their plain-text part.
func unquoteLine(s string) string {
	s = strings.TrimLeft(s, " \t>")
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
	"oprindelig meddelelse", "videresendt meddelelse", "alkuperäinen viesti", "välitetty viesti",
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
	s := unquoteLine(lines[i])
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
	"wrote", "writes", "written", "sent",
	"작성", "님의 메시지", "쓰셨습니다", "썼습니다",
	"a écrit", "écrit", "schrieb", "geschrieben", "escribió", "escreveu", "ha scritto", "scritto",
	"schreef", "geschreven", "skrev", "kirjoitti", "napisał", "napisała", "pisze", "napsal",
	"написал", "написала", "написав", "написала", "пише", "писал", "yazdı",
	"写道", "寫道", "書きました", "wrote on",
}

// attributionLeads start an attribution that a client folded over two or
// three lines.
var attributionLeads = []string{
	"on ", "le ", "am ", "el ", "il ", "op ", "den ", "w dniu ", "em ", "в ", "on:", "de ", "dne ", "в ",
}

// isAttribution reports whether s (already unquoted) reads as "On <date>,
// <name> wrote:". needColon is false for Zoho's dashed form.
func isAttribution(s string, needColon bool) bool {
	if utf8.RuneCountInString(s) > 400 {
		return false
	}
	low := strings.ToLower(strings.TrimRight(s, " *"))
	end := strings.TrimRight(low, ":：")
	if needColon && end == low {
		return false
	}
	hasVerb := false
	for _, v := range attributionVerbs {
		if strings.HasSuffix(end, v) || (strings.Contains(end, v) && strings.ContainsAny(end, "@<")) {
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

func matchAttribution(lines []string, i int) int {
	s := unquoteLine(lines[i])
	if isAttribution(s, true) {
		return 1
	}
	low := strings.ToLower(s)
	lead := strings.ContainsAny(s, "@") || (len(s) > 0 && s[0] >= '0' && s[0] <= '9')
	for _, l := range attributionLeads {
		if strings.HasPrefix(low, l) {
			lead = true
			break
		}
	}
	if !lead || strings.HasSuffix(s, ".") {
		return 0
	}
	joined := s
	for n := 2; n <= 3 && i+n-1 < len(lines); n++ {
		next := lines[i+n-1]
		if isBlank(next) || len(next) > maxHeaderScan || isQuoteLine(next) != isQuoteLine(lines[i]) {
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
	"fecha": roleDate, "lähetetty": roleDate, "päivämäärä": roleDate, "dátum": roleDate, "sent at": roleDate,

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
	start := j
	for ; j < len(lines) && j-start < 12; j++ {
		if len(lines[j]) > maxHeaderScan {
			break
		}
		role, val := headerField(lines[j])
		if role == roleNone {
			break
		}
		if j == start && role != roleFrom && role != roleDate && role != roleSubject {
			return 0
		}
		_ = val
		seen[role] = true
	}
	if j == start {
		return 0
	}
	if len(seen) >= 2 && (seen[roleFrom] || seen[roleDate]) {
		return j - i
	}
	if j-start == 1 && seen[roleFrom] && j-1 == i {
		_, val := headerField(lines[i])
		if strings.Contains(val, "[mailto:") || (strings.Contains(val, "@") && strings.HasPrefix(strings.ToLower(unquoteLine(lines[i])), "from:") && strings.ContainsAny(val, "<[")) {
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
	"envoyé depuis ", "envoyé de mon ", "envoyé avec ", "von meinem ", "gesendet von ", "gesendet mit ",
	"verzonden met ", "verzonden vanaf ", "verstuurd vanaf ", "enviado desde ", "enviado do meu ", "enviado de mi ",
	"inviato da ", "sendt fra ", "skickat från ", "wysłane z ", "отправлено с ", "отправлено из ",
	"diese nachricht wurde von meinem ", "从我的", "從我的", "发自我的", "來自我的",
}

// deviceSignatureSuffixes end such a line (Korean clients put the device
// first: "iPhone에서 보냄", "Galaxy에서 보냄").
var deviceSignatureSuffixes = []string{
	"에서 보냄", "에서 보냈습니다", "에서 보낸 메일", "에서 보냄.", "에서 보냈습니다.", "から送信", "傳送", "发送",
}

// closingSignatures are sign-offs that start a signature when they stand
// alone on a line near the end (a plain "Thanks," is content, not a
// signature).
var closingSignatures = []string{
	"regards", "best regards", "kind regards", "warm regards", "with regards", "with best regards",
	"mit freundlichen grüßen", "mit freundlichen grüssen", "cordialement", "met vriendelijke groet",
	"met vriendelijke groeten",
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
		low := strings.ToLower(strings.TrimRight(t, ",.!"))
		for _, c := range closingSignatures {
			if low == c && last-i <= 6 {
				return i
			}
		}
	}
	return -1
}
