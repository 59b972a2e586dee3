// Package charset turns the bytes of mail in any charset into UTF-8, and
// never fails: a label it does not know, a wrong label or none at all falls
// back to a guess (UTF-8, then CP949, then windows-1252). It knows the
// Korean charsets x/text lacks (ISO-2022-KR, Johab, every alias of CP949,
// EUC-KR's 8-byte Hangul), RFC 2152 UTF-7, and decodes RFC 2047 encoded
// words more leniently than mime.WordDecoder. Importing it registers its
// charsets with go-message and makes go-message decode through Reader.
package charset

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/emersion/go-message"
	gmcharset "github.com/emersion/go-message/charset" // also registers go-message's default charset table
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/transform"
)

// Korean charset labels seen in real mail. x/text's korean.EUCKR decoder is
// the WHATWG "EUC-KR" decoder, which is Microsoft's CP949 (Unified Hangul
// Code): a superset of EUC-KR that also decodes the 8,822 extra syllables
// such as "똠" or "믜". Every label below therefore maps to it.
var cp949Labels = []string{
	"cp949", "ms949", "x-windows-949", "windows-949", "uhc", "korean",
	"ks_c_5601-1987", "ks_c_5601-1989", "ks_c_5601", "ksc5601", "ksc_5601",
	"ksc-5601", "ks-c-5601", "ks-c-5601-1987", "csksc56011987", "iso-ir-149",
	"euc-kr", "euc_kr", "euckr", "x-euc-kr", "cseuckr",
}

// iso2022KRLabels and johabLabels name the two other Korean mail charsets,
// which x/text does not implement (WHATWG maps ISO-2022-KR to the
// "replacement" decoder, i.e. one U+FFFD). We decode them ourselves.
var (
	iso2022KRLabels = []string{"iso-2022-kr", "csiso2022kr", "iso2022kr", "iso2022_kr"}
	johabLabels     = []string{"johab", "x-johab", "cp1361", "ms1361", "ks_c_5601-1992"}
)

// charsetTable holds the encodings we register on top of go-message's table.
// Keys are lower-case.
var charsetTable = map[string]encoding.Encoding{}

func init() {
	for _, l := range cp949Labels {
		charsetTable[l] = korean.EUCKR
	}
	for _, l := range iso2022KRLabels {
		charsetTable[l] = iso2022KR
	}
	for _, l := range johabLabels {
		charsetTable[l] = johab
	}
	for l, e := range charsetTable {
		gmcharset.RegisterEncoding(l, e)
	}
	// go-message's own decoders (message.Read, mail.Header.Subject, ...)
	// go through message.CharsetReader. Route them through the same
	// forgiving decoder Parse uses, so an unknown label falls back instead of
	// failing.
	message.CharsetReader = Reader
}

// Reader reads r, labelled with the MIME charset label, as UTF-8 (see
// Decode). It is installed as go-message's message.CharsetReader and fails
// only when reading r does.
func Reader(label string, r io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(Decode(label, b)), nil
}

func normLabel(label string) string {
	return strings.ToLower(strings.Trim(label, " \t\r\n\"'"))
}

// lookupEncoding resolves a MIME charset label, or returns nil when the label
// is unknown or only maps to WHATWG's "replacement" decoder.
func lookupEncoding(label string) encoding.Encoding {
	l := normLabel(label)
	if l == "" {
		return nil
	}
	// RFC 2231 allows "charset*language" in encoded words.
	if i := strings.IndexByte(l, '*'); i > 0 {
		l = l[:i]
	}
	try := func(l string) encoding.Encoding {
		if e, ok := charsetTable[l]; ok {
			return e
		}
		if e, err := ianaindex.MIME.Encoding(l); err == nil && e != nil {
			return e
		}
		if e, err := ianaindex.MIME.Encoding("cs" + l); err == nil && e != nil {
			return e
		}
		if e, err := htmlindex.Get(l); err == nil && e != nil {
			return e
		}
		return nil
	}
	e := try(l)
	if e == nil && strings.Contains(l, "_") {
		e = try(strings.ReplaceAll(l, "_", "-"))
	}
	if e == encoding.Replacement {
		return nil
	}
	return e
}

// isUTF8Label reports labels we treat as "UTF-8 or plain ASCII".
func isUTF8Label(l string) bool {
	switch l {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "x-utf_8j", "unicode-1-1-utf-8":
		return true
	}
	return false
}

// isLatinLabel reports labels that old Korean clients wrongly put on
// EUC-KR or UTF-8 bytes.
func isLatinLabel(l string) bool {
	switch l {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "windows-1252", "cp1252", "x-user-defined", "us-ascii", "ascii":
		return true
	}
	return false
}

// Decode converts b, labelled with the MIME charset label, to UTF-8.
// It never fails:
//   - no label, us-ascii or utf-8: valid UTF-8 is kept; other bytes go
//     through the fallback below;
//   - a known label decodes with that charset; when that produces U+FFFD
//     but the bytes are valid UTF-8 (mislabelled mail), UTF-8 wins; a Latin-1
//     label on bytes that are valid UTF-8 or clean Korean CP949 text is
//     treated as that (old Korean clients did this);
//   - an unknown label uses the fallback: UTF-8 if valid, else CP949 if it
//     decodes without a replacement character, else windows-1252/Latin-1.
func Decode(label string, b []byte) string {
	l := normLabel(label)
	if i := strings.IndexByte(l, '*'); i > 0 {
		l = l[:i]
	}
	if isUTF7Label(l) {
		return decodeUTF7(b)
	}
	if isUTF8Label(l) && !isLatinLabel(l) {
		if utf8.Valid(b) {
			return string(b)
		}
		return Fallback(b)
	}
	enc := lookupEncoding(l)
	if enc == nil {
		return Fallback(b)
	}
	if isLatinLabel(l) && hasHighBytes(b) {
		if utf8.Valid(b) {
			return string(b)
		}
		if s, ok := decodeCP949Strict(b); ok && looksKorean(s) {
			return s
		}
		return decodeWindows1252(b)
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return Fallback(b)
	}
	if bytes.ContainsRune(out, utf8.RuneError) && !bytes.ContainsRune(b, utf8.RuneError) && hasHighBytes(b) && utf8.Valid(b) {
		return string(b)
	}
	if enc == korean.EUCKR {
		return composeKSC8Byte(string(out))
	}
	return string(out)
}

// composeKSC8Byte composes KS X 1001's 8-byte Hangul sequences (HANGUL
// FILLER, initial, medial, final-or-filler, all as compatibility jamo),
// which EUC-KR uses for the syllables missing from its 2,350, into
// precomposed syllables, as Python's euc_kr codec does.
func composeKSC8Byte(s string) string {
	const filler = 0x3164
	if !strings.ContainsRune(s, filler) {
		return s
	}
	r := []rune(s)
	out := make([]rune, 0, len(r))
	for i := 0; i < len(r); i++ {
		if r[i] == filler && i+3 < len(r) {
			ini, med, fin := jamoIndex(compatInitial[1:], r[i+1]), rune(-1), -1
			if r[i+2] >= 0x314f && r[i+2] <= 0x3163 {
				med = r[i+2] - 0x314f
			}
			if r[i+3] == filler {
				fin = 0
			} else if j := jamoIndex(compatFinal[1:], r[i+3]); j >= 0 {
				fin = j + 1
			}
			if ini >= 0 && med >= 0 && fin >= 0 {
				out = append(out, 0xac00+(rune(ini)*21+med)*28+rune(fin))
				i += 3
				continue
			}
		}
		out = append(out, r[i])
	}
	return string(out)
}

func jamoIndex(table []rune, r rune) int {
	for i, t := range table {
		if t == r {
			return i
		}
	}
	return -1
}

// Fallback is the charset guess for unlabelled or unknown 8-bit data:
// UTF-8, then CP949 (EUC-KR), then windows-1252 with Latin-1 for its holes.
func Fallback(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	if s, ok := decodeCP949Strict(b); ok {
		return composeKSC8Byte(s)
	}
	return decodeWindows1252(b)
}

// decodeCP949Strict decodes b as CP949 and reports whether that went without
// a single replacement character.
func decodeCP949Strict(b []byte) (string, bool) {
	out, err := korean.EUCKR.NewDecoder().Bytes(b)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
		return "", false
	}
	return string(out), true
}

// looksKorean reports whether most non-ASCII runes of s are Hangul.
func looksKorean(s string) bool {
	var hangul, other int
	for _, r := range s {
		switch {
		case r < 0x80:
		case unicode.Is(unicode.Hangul, r):
			hangul++
		default:
			other++
		}
	}
	return hangul >= 2 && hangul > other*2
}

func hasHighBytes(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// decodeWindows1252 decodes b as windows-1252, using Latin-1 for the five
// bytes windows-1252 leaves undefined, so it never produces U+FFFD.
func decodeWindows1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/2)
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
			continue
		}
		r := charmap.Windows1252.DecodeByte(c)
		if r == utf8.RuneError {
			r = rune(c)
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// FixHeader turns a raw header value into UTF-8: unencoded 8-bit
// header bytes (common from old Korean clients) go through the fallback.
func FixHeader(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return Fallback([]byte(s))
}

// DecodeHeader decodes a raw header value: raw 8-bit bytes through the
// charset fallback, then RFC 2047 encoded-words. It is more forgiving than
// mime.WordDecoder: adjacent encoded-words in the same charset are joined
// before charset conversion (some mailers split a multi-byte character
// across two words), unknown charsets fall back instead of failing, and
// malformed words are left as they are.
func DecodeHeader(s string) string {
	s = FixHeader(s)
	if !strings.Contains(s, "=?") {
		return s
	}
	var out strings.Builder
	var pend []byte
	var pendCS string
	havePend := false
	flush := func() {
		if havePend {
			out.WriteString(Decode(pendCS, pend))
			pend, pendCS, havePend = nil, "", false
		}
	}
	for {
		i := strings.Index(s, "=?")
		if i < 0 {
			break
		}
		cs, raw, n, ok := parseEncodedWord(s[i:])
		if !ok {
			flush()
			out.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		before := s[:i]
		if havePend && strings.Trim(before, " \t\r\n") == "" {
			// Whitespace between adjacent encoded-words is dropped (RFC 2047 6.2).
			if normLabel(cs) != normLabel(pendCS) {
				flush()
			}
		} else {
			flush()
			out.WriteString(before)
		}
		if !havePend {
			pendCS, havePend = cs, true
		}
		pend = append(pend, raw...)
		s = s[i+n:]
	}
	flush()
	out.WriteString(s)
	return out.String()
}

// parseEncodedWord parses "=?charset?X?text?=" at the start of s and returns
// the charset, the decoded bytes and the number of bytes consumed.
func parseEncodedWord(s string) (cs string, raw []byte, n int, ok bool) {
	if !strings.HasPrefix(s, "=?") {
		return "", nil, 0, false
	}
	rest := s[2:]
	// Bounded searches: a header full of unterminated "=?" must stay linear.
	q1 := strings.IndexByte(rest[:min(len(rest), 76)], '?')
	if q1 <= 0 {
		return "", nil, 0, false
	}
	cs = rest[:q1]
	if strings.ContainsAny(cs, " \t\r\n=") {
		return "", nil, 0, false
	}
	rest = rest[q1+1:]
	if len(rest) < 2 || rest[1] != '?' {
		return "", nil, 0, false
	}
	enc := rest[0] | 0x20
	rest = rest[2:]
	end := strings.Index(rest[:min(len(rest), 2002)], "?=")
	if end < 0 {
		return "", nil, 0, false
	}
	text := rest[:end]
	if strings.ContainsAny(text, "\r\n") {
		return "", nil, 0, false
	}
	switch enc {
	case 'b':
		var err error
		raw, err = DecodeBase64([]byte(text))
		if err != nil {
			return "", nil, 0, false
		}
	case 'q':
		raw = decodeQWord(text)
	default:
		return "", nil, 0, false
	}
	n = 2 + q1 + 1 + 2 + end + 2
	return cs, raw, n, true
}

func decodeQWord(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s) && IsHex(s[i+1]) && IsHex(s[i+2]):
			out = append(out, Unhex(s[i+1])<<4|Unhex(s[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

// IsHex reports whether c is a hexadecimal digit, either case. message
// decodes its own %XX and =XX escapes with it and Unhex, so there is one
// copy of each.
func IsHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// Unhex is the value of the hexadecimal digit c; c must satisfy IsHex.
func Unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

var errBase64 = errors.New("illegal base64 data")

// DecodeBase64 decodes base64 ignoring whitespace, missing or early
// padding (concatenated base64 runs) and trailing junk bits. It returns what
// it could decode, plus an error when the data held characters outside the
// alphabet or ended mid-quantum.
func DecodeBase64(b []byte) ([]byte, error) {
	out := make([]byte, 0, len(b)/4*3+3)
	var q [4]byte
	n := 0
	bad := false
	emit := func() {
		switch n {
		case 0:
		case 1:
			bad = true
		default:
			var v uint32
			for i := 0; i < n; i++ {
				v |= uint32(q[i]) << (18 - 6*uint(i))
			}
			out = append(out, byte(v>>16))
			if n >= 3 {
				out = append(out, byte(v>>8))
			}
			if n == 4 {
				out = append(out, byte(v))
			}
		}
		n = 0
	}
	for _, c := range b {
		var v byte
		switch {
		case 'A' <= c && c <= 'Z':
			v = c - 'A'
		case 'a' <= c && c <= 'z':
			v = c - 'a' + 26
		case '0' <= c && c <= '9':
			v = c - '0' + 52
		case c == '+':
			v = 62
		case c == '/':
			v = 63
		case c == '=':
			emit()
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		default:
			bad = true
			continue
		}
		q[n] = v
		n++
		if n == 4 {
			emit()
		}
	}
	emit()
	if bad {
		return out, errBase64
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// ISO-2022-KR (RFC 1557)

type iso2022KREncoding struct{}

var iso2022KR encoding.Encoding = iso2022KREncoding{}

func (iso2022KREncoding) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: &iso2022KRDecoder{}}
}

func (iso2022KREncoding) NewEncoder() *encoding.Encoder {
	return &encoding.Encoder{Transformer: unsupportedEncoder{}}
}

func (iso2022KREncoding) String() string { return "ISO-2022-KR" }

type iso2022KRDecoder struct{ so bool }

func (d *iso2022KRDecoder) Reset() { d.so = false }

func (d *iso2022KRDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		switch {
		case c == 0x1b:
			// Designator ESC $ ) C; anything else is passed through as U+FFFD.
			if len(src)-nSrc < 4 {
				if !atEOF && bytes.HasPrefix([]byte("\x1b$)C"), src[nSrc:]) {
					return nDst, nSrc, transform.ErrShortSrc
				}
			} else if string(src[nSrc:nSrc+4]) == "\x1b$)C" {
				nSrc += 4
				continue
			}
			if len(dst)-nDst < 3 {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += utf8.EncodeRune(dst[nDst:], utf8.RuneError)
			nSrc++
		case c == 0x0e:
			d.so = true
			nSrc++
		case c == 0x0f:
			d.so = false
			nSrc++
		case c == '\n' || c == '\r':
			// Shift state does not survive a line end (RFC 1557).
			d.so = false
			if len(dst)-nDst < 1 {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
		case d.so && c >= 0x21 && c <= 0x7e:
			if len(src)-nSrc < 2 {
				if !atEOF {
					return nDst, nSrc, transform.ErrShortSrc
				}
				if len(dst)-nDst < 3 {
					return nDst, nSrc, transform.ErrShortDst
				}
				nDst += utf8.EncodeRune(dst[nDst:], utf8.RuneError)
				nSrc++
				continue
			}
			r := decodeKSX1001(c|0x80, src[nSrc+1]|0x80)
			if len(dst)-nDst < utf8.RuneLen(r) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += utf8.EncodeRune(dst[nDst:], r)
			nSrc += 2
		case c >= 0x80:
			if len(dst)-nDst < 3 {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += utf8.EncodeRune(dst[nDst:], utf8.RuneError)
			nSrc++
		default:
			if len(dst)-nDst < 1 {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
		}
	}
	return nDst, nSrc, nil
}

// decodeKSX1001 decodes one EUC-KR (GR form) double byte.
func decodeKSX1001(b1, b2 byte) rune {
	out, err := korean.EUCKR.NewDecoder().Bytes([]byte{b1, b2})
	if err != nil {
		return utf8.RuneError
	}
	r, size := utf8.DecodeRune(out)
	if size != len(out) {
		return utf8.RuneError
	}
	return r
}

type unsupportedEncoder struct{ transform.NopResetter }

func (unsupportedEncoder) Transform(dst, src []byte, atEOF bool) (int, int, error) {
	if len(src) == 0 {
		return 0, 0, nil
	}
	return 0, 0, errors.New("charset: encoding to this charset is not supported")
}

// ---------------------------------------------------------------------------
// Johab (KS X 1001:1992 annex 3, Microsoft code page 1361)

type johabEncoding struct{}

var johab encoding.Encoding = johabEncoding{}

func (johabEncoding) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: johabDecoder{}}
}

func (johabEncoding) NewEncoder() *encoding.Encoder {
	return &encoding.Encoder{Transformer: unsupportedEncoder{}}
}

func (johabEncoding) String() string { return "Johab" }

type johabDecoder struct{ transform.NopResetter }

// Johab's 5-bit jamo fields -> indexes (0 = fill, -1 = invalid).
var (
	johabInitial = [32]int8{-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}
	johabMedial  = [32]int8{-1, -1, 0, 1, 2, 3, 4, 5, -1, -1, 6, 7, 8, 9, 10, 11, -1, -1, 12, 13, 14, 15, 16, 17, -1, -1, 18, 19, 20, 21, -1, -1}
	johabFinal   = [32]int8{-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, -1, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, -1, -1}
	// Hangul compatibility jamo for lone initials (1..19) and finals (1..27).
	compatInitial = [20]rune{0, 0x3131, 0x3132, 0x3134, 0x3137, 0x3138, 0x3139, 0x3141, 0x3142, 0x3143, 0x3145, 0x3146, 0x3147, 0x3148, 0x3149, 0x314A, 0x314B, 0x314C, 0x314D, 0x314E}
	compatFinal   = [28]rune{0, 0x3131, 0x3132, 0x3133, 0x3134, 0x3135, 0x3136, 0x3137, 0x3139, 0x313A, 0x313B, 0x313C, 0x313D, 0x313E, 0x313F, 0x3140, 0x3141, 0x3142, 0x3144, 0x3145, 0x3146, 0x3147, 0x3148, 0x314A, 0x314B, 0x314C, 0x314D, 0x314E}
)

func decodeJohabPair(c1, c2 byte) rune {
	switch {
	case c1 >= 0x84 && c1 <= 0xd3:
		if !((c2 >= 0x41 && c2 <= 0x7e) || (c2 >= 0x81 && c2 <= 0xfe)) {
			return utf8.RuneError
		}
		code := uint16(c1)<<8 | uint16(c2)
		i1 := johabInitial[(code>>10)&31]
		i2 := johabMedial[(code>>5)&31]
		i3 := johabFinal[code&31]
		if i1 < 0 || i2 < 0 || i3 < 0 {
			return utf8.RuneError
		}
		switch {
		case i1 > 0 && i2 > 0:
			return 0xac00 + rune((int(i1)-1)*21+(int(i2)-1))*28 + rune(i3)
		case i1 > 0 && i2 == 0 && i3 == 0:
			return compatInitial[i1]
		case i1 == 0 && i2 > 0 && i3 == 0:
			return 0x314f + rune(i2) - 1
		case i1 == 0 && i2 == 0 && i3 > 0:
			return compatFinal[i3]
		}
		return utf8.RuneError
	case (c1 >= 0xd9 && c1 <= 0xde) || (c1 >= 0xe0 && c1 <= 0xf9):
		// Symbols and Hanja: arithmetic mapping onto KS X 1001.
		if !((c2 >= 0x31 && c2 <= 0x7e) || (c2 >= 0x91 && c2 <= 0xfe)) {
			return utf8.RuneError
		}
		if c1 == 0xda && c2 >= 0xa1 && c2 <= 0xd3 {
			return utf8.RuneError // KS X 1001 jamo live in the Hangul area
		}
		var t1, t2 int
		if c1 < 0xe0 {
			t1 = 2 * (int(c1) - 0xd9)
		} else {
			t1 = 2*int(c1) - 0x197
		}
		if c2 < 0x91 {
			t2 = int(c2) - 0x31
		} else {
			t2 = int(c2) - 0x43
		}
		row, col := t1+0x21, t2+0x21
		if t2 >= 0x5e {
			row, col = t1+1+0x21, t2-0x5e+0x21
		}
		if row > 0x7e || col > 0x7e {
			return utf8.RuneError
		}
		return decodeKSX1001(byte(row)|0x80, byte(col)|0x80)
	}
	return utf8.RuneError
}

func (johabDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < 0x80 {
			if len(dst)-nDst < 1 {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		r := utf8.RuneError
		size := 1
		if c >= 0x84 && c != 0xd4 && c != 0xd5 && c != 0xd6 && c != 0xd7 && c != 0xd8 && c != 0xdf && c <= 0xf9 {
			if len(src)-nSrc < 2 {
				if !atEOF {
					return nDst, nSrc, transform.ErrShortSrc
				}
			} else {
				r = decodeJohabPair(c, src[nSrc+1])
				if r != utf8.RuneError {
					size = 2
				}
			}
		}
		if len(dst)-nDst < utf8.RuneLen(r) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc += size
	}
	return nDst, nSrc, nil
}

// isUTF7Label reports RFC 2152 UTF-7, which old Outlook versions offer
// and x/text does not implement.
func isUTF7Label(l string) bool {
	return l == "utf-7" || l == "utf7" || l == "unicode-1-1-utf-7" || l == "csunicode11utf7" || l == "x-unicode-2-0-utf-7"
}

// decodeUTF7 decodes RFC 2152 UTF-7 leniently: "+" starts a run of
// modified base64 (UTF-16BE), "+-" is a plus sign, a "-" ending a run is
// dropped, and bytes outside ASCII or broken runs are kept as they are (by
// way of the fallback decoder).
func decodeUTF7(b []byte) string {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var out []rune
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 0x80 {
			return Fallback(b)
		}
		if c != '+' {
			out = append(out, rune(c))
			continue
		}
		if i+1 < len(b) && b[i+1] == '-' {
			out = append(out, '+')
			i++
			continue
		}
		var units []uint16
		var acc uint32
		bits := 0
		j := i + 1
		for ; j < len(b); j++ {
			k := strings.IndexByte(b64, b[j])
			if k < 0 {
				break
			}
			acc = acc<<6 | uint32(k)
			bits += 6
			if bits >= 16 {
				bits -= 16
				units = append(units, uint16(acc>>uint(bits)))
				acc &= 1<<uint(bits) - 1
			}
		}
		out = append(out, utf16.Decode(units)...)
		if j < len(b) && b[j] == '-' {
			j++
		}
		i = j - 1
	}
	return string(out)
}
