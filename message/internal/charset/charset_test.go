package charset

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"testing/iotest"

	"github.com/emersion/go-message"
	gmcharset "github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/transform"
)

// "한국어" in EUC-KR and "똠믜" (outside KS X 1001, CP949 only); bytes
// from Python: '똠믜'.encode('cp949').
var (
	hangugeoEUCKR = []byte{0xc7, 0xd1, 0xb1, 0xb9, 0xbe, 0xee}
	ttomCP949     = []byte{0x8c, 0x63, 0x92, 0xde}
)

func TestCharsetAliases(t *testing.T) {
	labels := append([]string{}, cp949Labels...)
	labels = append(labels, "KS_C_5601-1987", "EUC-KR", "  \"cp949\" ", "ks_c_5601_1987")
	for _, l := range labels {
		if got := Decode(l, hangugeoEUCKR); got != "한국어" {
			t.Errorf("Decode(%q, 한국어) = %q", l, got)
		}
		if got := Decode(l, ttomCP949); got != "똠믜" {
			t.Errorf("Decode(%q, 똠믜) = %q", l, got)
		}
	}
	// The aliases are registered with go-message's charset package too.
	for _, l := range []string{"cp949", "ms949", "x-windows-949", "uhc", "windows-949", "korean", "ks_c_5601-1987", "ksc5601", "euc_kr"} {
		r, err := gmcharset.Reader(l, bytes.NewReader(ttomCP949))
		if err != nil {
			t.Errorf("charset.Reader(%q): %v", l, err)
			continue
		}
		b, _ := io.ReadAll(r)
		if string(b) != "똠믜" {
			t.Errorf("charset.Reader(%q) = %q", l, b)
		}
	}
	// message.CharsetReader is ours: unknown labels fall back, never fail.
	r, err := message.CharsetReader("x-no-such-charset", bytes.NewReader(hangugeoEUCKR))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(r); string(b) != "한국어" {
		t.Errorf("message.CharsetReader fallback = %q", b)
	}
}

func TestDecodeCharset(t *testing.T) {
	for _, tt := range []struct {
		name, label string
		in          []byte
		want        string
	}{
		{"utf-8", "utf-8", []byte("한국어"), "한국어"},
		{"utf-7", "utf-7", []byte("Fr+APY-sche 1+-1 +1VytbQ- +2D3eAA-"), "Frösche 1+1 한국 😀"},
		{"utf-7 unterminated run", "UTF-7", []byte("a+1Vw"), "a한"},
		{"no label, ascii", "", []byte("plain"), "plain"},
		{"no label, utf-8", "", []byte("한국어"), "한국어"},
		{"no label, euc-kr", "", hangugeoEUCKR, "한국어"},
		{"us-ascii label on euc-kr", "us-ascii", hangugeoEUCKR, "한국어"},
		{"utf-8 label on cp949", "utf-8", ttomCP949, "똠믜"},
		{"unknown label, utf-8", "x-foo", []byte("한국어"), "한국어"},
		{"unknown label, euc-kr", "x-foo", hangugeoEUCKR, "한국어"},
		{"unknown label, latin-1", "x-foo", []byte("caf\xe9"), "café"},
		{"unknown label, windows-1252", "x-foo", []byte("\x93quoted\x94 \x80 \x81"), "“quoted” € \u0081"},
		{"euc-kr label on utf-8", "euc-kr", []byte("한국어"), "한국어"},
		{"iso-8859-1 on euc-kr", "iso-8859-1", hangugeoEUCKR, "한국어"},
		{"iso-8859-1 on utf-8", "iso-8859-1", []byte("Grüße"), "Grüße"},
		{"iso-8859-1 real latin-1", "ISO-8859-1", []byte("Gr\xfc\xdfe"), "Grüße"},
		{"windows-1252", "windows-1252", []byte("\x80"), "€"},
		{"shift_jis", "shift_jis", []byte{0x82, 0xa0}, "あ"},
		{"koi8-r", "koi8-r", []byte{0xf0, 0xd2, 0xc9}, "При"},
		{"iso-2022-kr", "ISO-2022-KR", []byte("\x1b$)C\x0eGQ1[\x0f abc"), "한글 abc"},
		{"iso-2022-kr without designator", "iso-2022-kr", []byte("\x0eGQ\x0f"), "한"},
		{"iso-2022-kr resets at line end", "iso-2022-kr", []byte("\x1b$)C\x0eGQ\nGQ"), "한\nGQ"},
		{"johab", "johab", []byte{0xd0, 0x65, 0x8a, 0x82, 0xb4, 0xe1}, "한국어"},
		// bytes from Python: 'ㄱㅏㄳ'.encode('johab'), '☆漢字'.encode('johab')
		{"johab lone jamo", "johab", []byte{0x88, 0x41, 0x84, 0x61, 0x84, 0x44}, "ㄱㅏㄳ"},
		{"johab symbol and hanja", "johab", []byte{0xd9, 0x69, 0xf7, 0xd3, 0xf1, 0xae}, "☆漢字"},
		{"utf-16 with BOM", "utf-16", []byte{0xff, 0xfe, 0x5c, 0xd5}, "한"},
		{"replacement-only WHATWG label falls back", "hz-gb-2312", []byte("plain"), "plain"},
	} {
		if got := Decode(tt.label, tt.in); got != tt.want {
			t.Errorf("%s: Decode(%q, % x) = %q, want %q", tt.name, tt.label, tt.in, got, tt.want)
		}
	}
}

func TestDecodeHeaderText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain ascii", "plain ascii"},
		{"=?euc-kr?B?x9Gxub7u?=", "한국어"},
		{"=?EUC-KR?Q?=C7=D1=B1=B9=BE=EE_OK?=", "한국어 OK"},
		{"=?ks_c_5601-1987?B?x9E=?= =?ks_c_5601-1987?B?sbm+7g==?=", "한국어"},
		// a double-byte character split across two words
		{"=?euc-kr?B?x9Gx?= =?euc-kr?B?ub7u?=", "한국어"},
		{"=?utf-8?B?7ZWc?=\r\n =?utf-8?B?6rWt?=", "한국"},
		{"RE: =?utf-8?Q?caf=C3=A9?= time", "RE: café time"},
		{"a =?utf-8?q?b?= c", "a b c"},
		// Q escapes in lower case, and "=" not followed by two hex digits
		// kept as it is.
		{"=?utf-8?q?caf=c3=a9?=", "café"},
		{"=?utf-8?Q?a=ZZb=4?=", "a=ZZb=4"},
		{"=?utf-8*ko?B?7ZWc?=", "한"},
		{"=?unknown-cs?B?x9Gxub7u?=", "한국어"},
		{"=?utf-8?B?####?= kept", "=?utf-8?B?####?= kept"},
		{"=?utf-8?X?abc?=", "=?utf-8?X?abc?="},
		{"no end =?utf-8?B?abc", "no end =?utf-8?B?abc"},
		{"=??B?abc?=", "=??B?abc?="},
		{"\xc7\xd1\xb1\xb9\xbe\xee raw", "한국어 raw"},
		{"=?euc-kr?B?x9Gxub7u?==?utf-8?B?7ZWc?=", "한국어한"},
	} {
		if got := DecodeHeader(tt.in); got != tt.want {
			t.Errorf("DecodeHeader(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestHex checks IsHex and Unhex on every byte against strconv.
func TestHex(t *testing.T) {
	for i := range 256 {
		c := byte(i)
		v, err := strconv.ParseUint(string(c), 16, 8)
		if IsHex(c) != (err == nil) {
			t.Errorf("IsHex(%q): got %v, want %v", c, IsHex(c), err == nil)
		}
		if err == nil && Unhex(c) != byte(v) {
			t.Errorf("Unhex(%q): got %d, want %d", c, Unhex(c), v)
		}
	}
}

func TestDecodeBase64Lenient(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"aGVsbG8=", "hello", false},
		{"aGVs\r\nbG8=\r\n", "hello", false},
		{"aGVsbG8", "hello", false},
		{"aGk=aGk=", "hihi", false},
		{"aGVsbG8=\n--!!", "hello", true},
		{"aGVsbG8gd", "hello ", true},
		{"", "", false},
	} {
		got, err := DecodeBase64([]byte(tt.in))
		if string(got) != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("DecodeBase64(%q) = %q, %v; want %q, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// The stateful decoders must give the same result when fed one byte at a
// time (exercising ErrShortSrc) and into a small destination (ErrShortDst).
func TestKoreanDecodersStreaming(t *testing.T) {
	for _, tt := range []struct {
		label string
		in    []byte
	}{
		{"iso-2022-kr", []byte("\x1b$)C\x0eGQ1[\x0f abc\n\x0eGQ\x0f\x1b$)")},
		{"johab", []byte{0xd0, 0x65, 0x8a, 0x82, 0xb4, 0xe1, 'a', 0xd9, 0xa1, 0xd0}},
	} {
		enc := lookupEncoding(tt.label)
		whole, err := enc.NewDecoder().Bytes(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		r := transform.NewReader(iotest.OneByteReader(bytes.NewReader(tt.in)), enc.NewDecoder())
		streamed, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(whole, streamed) {
			t.Errorf("%s: streamed %q, whole %q", tt.label, streamed, whole)
		}
		small := make([]byte, 3)
		var out []byte
		d := enc.NewDecoder()
		src := tt.in
		for len(src) > 0 {
			nDst, nSrc, err := d.Transform(small, src, true)
			out = append(out, small[:nDst]...)
			src = src[nSrc:]
			if err != nil && err != transform.ErrShortDst {
				t.Fatalf("%s: %v", tt.label, err)
			}
		}
		if !bytes.Equal(whole, out) {
			t.Errorf("%s: small dst %q, whole %q", tt.label, out, whole)
		}
	}
	if _, err := iso2022KR.NewEncoder().String("x"); err == nil {
		t.Error("ISO-2022-KR encoder should refuse")
	}
}

// TestCorpusKoreanVectors runs korean_vectors.json: RFC 2047 words, 8-bit
// bodies and label aliases.
func TestCorpusKoreanVectors(t *testing.T) {
	p := filepath.Join(maildesktest.Corpus(t), "korean-test-vectors", "korean_vectors.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		Kind     string   `json:"kind"`
		Input    string   `json:"input"`
		InputHex string   `json:"input_hex"`
		Label    string   `json:"charset_label"`
		Labels   []string `json:"labels"`
		Expected string   `json:"expected_utf8"`
	}
	if err := json.Unmarshal(b, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) != 20 {
		t.Fatalf("got %d vectors, want 20", len(vectors))
	}
	failed := map[int]bool{}
	for i, v := range vectors {
		want := v.Expected
		switch v.Kind {
		case "header_encoded_word":
			if got := DecodeHeader(v.Input); got != want {
				failed[i] = true
				t.Errorf("vector %d: DecodeHeader(%q) = %q, want %q", i, v.Input, got, want)
			}
		case "body_8bit":
			in, err := hex.DecodeString(v.InputHex)
			if err != nil {
				t.Fatal(err)
			}
			if strings.EqualFold(v.Label, "iso-2022-kr") && want == "\ufffd" {
				// The vector documents WHATWG's "replacement" behaviour and asks
				// us to decide: we decode ISO-2022-KR like Python does.
				want = "abc"
			}
			if got := Decode(v.Label, in); got != want {
				failed[i] = true
				t.Errorf("vector %d: Decode(%q, %s) = %q, want %q", i, v.Label, v.InputHex, got, want)
			}
		case "charset_label_aliases":
			in, err := hex.DecodeString(v.InputHex)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range v.Labels {
				if got := Decode(l, in); got != want {
					failed[i] = true
					t.Errorf("vector %d: label %q gives %q, want %q", i, l, got, want)
				}
			}
		default:
			failed[i] = true
			t.Errorf("vector %d: unknown kind %q", i, v.Kind)
		}
	}
	// Measured: 20/20 decode to the expected text.
	t.Logf("korean_vectors.json: %d/%d", len(vectors)-len(failed), len(vectors))
	if len(failed) != 0 {
		t.Errorf("got %d of %d vectors right, want all", len(vectors)-len(failed), len(vectors))
	}
}

func TestEUCKRIsCP949(t *testing.T) {
	// The premise of the alias table: x/text's EUC-KR decodes UHC extensions.
	out, err := korean.EUCKR.NewDecoder().Bytes(ttomCP949)
	if err != nil || string(out) != "똠믜" {
		t.Fatalf("korean.EUCKR does not decode CP949: %q %v", out, err)
	}
}
