package message

import "testing"

func TestHTMLToText(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"plain", "hello", "hello"},
		{"paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo"},
		{"br", "a<br>b<br/>c", "a\nb\nc"},
		{"double br", "a<br><br>b", "a\n\nb"},
		{"divs", "<div>a</div><div>b</div>", "a\nb"},
		{"whitespace collapsed", "  lots   of\n\n  space\t here ", "lots of space here"},
		{"inline tags keep spaces", "<b>bold</b> <i>italic</i>x", "bold italicx"},
		{"entities", "&lt;tag&gt; &amp; &quot;q&quot; &#54620;&#xAE00; caf&eacute;", "<tag> & \"q\" 한글 café"},
		{"nbsp collapses like a space", "a&nbsp;&nbsp;b", "a b"},
		{"script style head dropped", "<html><head><title>T</title><style>.x{}</style></head><body><script>var a = '<p>';</script>text</body></html>", "text"},
		{"missing </head>", "<head><title>T</title><body>body text", "body text"},
		{"link with different text", `<a href="https://example.com/x">click here</a>`, "click here (https://example.com/x)"},
		{"link equal to text", `<a href="https://example.com/">example.com</a>`, "example.com"},
		{"mailto link equal", `<a href="mailto:a@b.c">a@b.c</a>`, "a@b.c"},
		{"anchor and javascript links", `<a href="#top">top</a> <a href="javascript:void(0)">js</a>`, "top js"},
		{"empty link", `<a href="https://t.example/px"></a>after`, "after"},
		{"image alt", `<img src="x.png" alt="Logo"> text`, "Logo text"},
		{"unordered list", "<ul><li>one</li><li>two</li></ul>", "- one\n- two"},
		{"ordered list", "<ol start=3><li>c</li><li>d</li></ol>", "3. c\n4. d"},
		{"nested list", "<ul><li>a<ul><li>b</li></ul></li></ul>", "- a\n  - b"},
		{"blockquote", "<p>reply</p><blockquote><p>quoted 1</p><p>quoted 2</p></blockquote><p>after</p>", "reply\n\n> quoted 1\n>\n> quoted 2\n\nafter"},
		{"pre keeps lines", "<pre>a  b\n  c</pre>", "a  b\n  c"},
		{"table", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"headings", "<h1>Title</h1>text", "Title\n\ntext"},
		{"comments", "a<!-- hidden -->b<!--[if mso]>x<![endif]-->", "ab"},
		{"korean outlook", `<div class=WordSection1><p class=MsoNormal>안녕하세요<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>감사합니다</p></div>`, "안녕하세요\n\n감사합니다"},
		{"broken html", "<p>unclosed <b>bold <i>both", "unclosed bold both"},
		{"empty", "", ""},
	} {
		if got := HTMLToText(tt.in); got != tt.want {
			t.Errorf("%s: HTMLToText(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestHTMLMetaCharset(t *testing.T) {
	for in, want := range map[string]string{
		`<meta charset="EUC-KR">`: "euc-kr",
		`<meta http-equiv="Content-Type" content="text/html; charset=ks_c_5601-1987">`: "ks_c_5601-1987",
		`<p>no meta</p>`: "",
	} {
		if got := htmlMetaCharset([]byte(in)); got != want {
			t.Errorf("htmlMetaCharset(%q) = %q, want %q", in, got, want)
		}
	}
}
