package charset

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// checkStatefulDecoder holds a decoder of ours to what TestKoreanDecodersStreaming
// asks of it, on any input: it never fails, gives UTF-8, and gives the same
// text fed one byte at a time and into a three-byte destination.
func checkStatefulDecoder(t *testing.T, enc encoding.Encoding, in []byte) {
	t.Helper()
	whole, err := enc.NewDecoder().Bytes(in)
	if err != nil {
		t.Fatalf("%v: decoding % x: %v", enc, in, err)
	}
	if !utf8.Valid(whole) {
		t.Fatalf("%v: decoding % x gave invalid UTF-8 %q", enc, in, whole)
	}
	streamed, err := io.ReadAll(transform.NewReader(iotest.OneByteReader(bytes.NewReader(in)), enc.NewDecoder()))
	if err != nil {
		t.Fatalf("%v: streaming % x: %v", enc, in, err)
	}
	if !bytes.Equal(whole, streamed) {
		t.Fatalf("%v: % x streamed %q, whole %q", enc, in, streamed, whole)
	}
	small := make([]byte, 3)
	var out []byte
	d := enc.NewDecoder()
	for src := in; len(src) > 0; {
		nDst, nSrc, err := d.Transform(small, src, true)
		out = append(out, small[:nDst]...)
		src = src[nSrc:]
		if err != nil && err != transform.ErrShortDst {
			t.Fatalf("%v: % x into 3 bytes: %v", enc, in, err)
		}
		if nDst == 0 && nSrc == 0 && err == nil {
			t.Fatalf("%v: % x: no progress", enc, in)
		}
	}
	if !bytes.Equal(whole, out) {
		t.Fatalf("%v: % x into 3 bytes %q, whole %q", enc, in, out, whole)
	}
}

func FuzzISO2022KR(f *testing.F) {
	for _, s := range []string{
		"\x1b$)C\x0eGQ1[\x0f abc", "\x0eGQ\x0f", "\x1b$)C\x0eGQ\nGQ",
		"\x1b$)C\x0eGQ1[\x0f abc\n\x0eGQ\x0f\x1b$)", "\x0e\xff\x0f", "\x1b$", "\x0eG",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkStatefulDecoder(t, iso2022KR, in)
		if got := Decode("iso-2022-kr", in); !utf8.ValidString(got) {
			t.Fatalf("Decode(iso-2022-kr, % x) = %q is not UTF-8", in, got)
		}
	})
}

func FuzzJohab(f *testing.F) {
	for _, b := range [][]byte{
		{0xd0, 0x65, 0x8a, 0x82, 0xb4, 0xe1},
		{0x88, 0x41, 0x84, 0x61, 0x84, 0x44},
		{0xd9, 0x69, 0xf7, 0xd3, 0xf1, 0xae},
		{0xd0, 0x65, 0x8a, 0x82, 0xb4, 0xe1, 'a', 0xd9, 0xa1, 0xd0},
		{0xd0}, {0xff, 0xff}, {0x84, 0x41},
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkStatefulDecoder(t, johab, in)
		if got := Decode("johab", in); !utf8.ValidString(got) {
			t.Fatalf("Decode(johab, % x) = %q is not UTF-8", in, got)
		}
	})
}

// FuzzDecodeHeader checks the lenient RFC 2047 decoder on any header value
// and its joiner on any text: the bytes of a UTF-8 text split at any point
// into two adjacent encoded-words (as some mailers split a character)
// decode to the text again.
func FuzzDecodeHeader(f *testing.F) {
	for _, s := range []string{
		"=?euc-kr?B?x9Gx?= =?euc-kr?B?ub7u?=", "=?ks_c_5601-1987?B?x9E=?= =?ks_c_5601-1987?B?sbm+7g==?=",
		"=?utf-8?B?7ZWc?=\r\n =?utf-8?B?6rWt?=", "RE: =?utf-8?Q?caf=C3=A9?= time", "=?utf-8*ko?B?7ZWc?=",
		"=?utf-8?B?####?= kept", "no end =?utf-8?B?abc", "=??B?abc?=", "\xc7\xd1\xb1\xb9\xbe\xee raw",
		"=?euc-kr?B?x9Gxub7u?==?utf-8?B?7ZWc?=", "=?iso-2022-kr?B?GyQpQw5HUTE5Pm4P?= =?johab?b?0GWKgrTh?=",
	} {
		f.Add(s, "한국어 문의", uint(4))
	}
	f.Fuzz(func(t *testing.T, header, text string, cut uint) {
		got := DecodeHeader(header)
		if !utf8.ValidString(got) {
			t.Fatalf("DecodeHeader(%q) = %q is not UTF-8", header, got)
		}
		if !strings.Contains(header, "=?") && got != FixHeader(header) {
			t.Fatalf("DecodeHeader(%q) = %q, want FixHeader's %q", header, got, FixHeader(header))
		}
		if utf8.ValidString(header) && !strings.Contains(header, "=?") && got != header {
			t.Fatalf("DecodeHeader(%q) = %q changed plain UTF-8", header, got)
		}
		if !utf8.ValidString(text) || len(text) > 600 {
			return
		}
		i := int(cut % uint(len(text)+1))
		for _, words := range []string{
			"=?utf-8?B?" + base64.StdEncoding.EncodeToString([]byte(text[:i])) + "?= =?UTF-8?b?" + base64.StdEncoding.EncodeToString([]byte(text[i:])) + "?=",
			"=?utf-8?Q?" + qEncode(text[:i]) + "?=\r\n =?utf-8?q?" + qEncode(text[i:]) + "?=",
		} {
			if got := DecodeHeader(words); got != text {
				t.Fatalf("DecodeHeader(%q) = %q, want %q", words, got, text)
			}
		}
	})
}

// qEncode writes every byte of s as =XX, the Q encoding's safest form.
func qEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte('=')
		b.WriteByte(hexDigits[s[i]>>4])
		b.WriteByte(hexDigits[s[i]&15])
	}
	return b.String()
}
