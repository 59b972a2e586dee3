#!/usr/bin/env python3
"""Regenerates the .eml fixtures of package mailbox.

Korean bytes are produced by Python's own codecs (cp949, euc_kr) so that the
Go decoders are checked against an independent implementation. Run from this
directory: python3 gen_fixtures.py
"""
import base64
import quopri
import urllib.parse


def b64word(charset, text, codec=None):
    raw = text.encode(codec or charset)
    return "=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode())


def qword(charset, text, codec=None):
    raw = text.encode(codec or charset)
    out = []
    for b in raw:
        c = chr(b)
        if c == " ":
            out.append("_")
        elif 0x21 <= b <= 0x7E and c not in "=?_":
            out.append(c)
        else:
            out.append("=%02X" % b)
    return "=?%s?Q?%s?=" % (charset, "".join(out))


def b64body(raw):
    s = base64.b64encode(raw).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def write(name, text, crlf=True, extra=b""):
    data = text.replace("\r\n", "\n")
    if crlf:
        data = data.replace("\n", "\r\n")
    with open(name, "wb") as f:
        f.write(data.encode("utf-8") + extra)


def write_bytes(name, parts, crlf=True):
    """parts: list of str (latin-1 safe) or bytes."""
    out = b""
    for p in parts:
        if isinstance(p, str):
            p = p.replace("\r\n", "\n")
            if crlf:
                p = p.replace("\n", "\r\n")
            p = p.encode("latin-1")
        out += p
    with open(name, "wb") as f:
        f.write(out)


# 1. ks_c_5601-1987 B subject and From name, 8bit ks_c_5601-1987 body.
write_bytes("ksc-subject-8bit-body.eml", [
    "Return-Path: <kim@example.co.kr>\n"
    "From: " + b64word("ks_c_5601-1987", "김철수", "cp949") + " <Kim.CS@Example.CO.KR>\n"
    "To: " + b64word("ks_c_5601-1987", "고객지원", "cp949") + " <help@desk.example.com>\n"
    "Subject: " + b64word("ks_c_5601-1987", "[문의] 주문 취소 요청드립니다", "cp949") + "\n"
    "Date: Fri, 10 Jan 2020 09:18:00 +0900\n"
    "Message-ID: <20200110091800.1234@example.co.kr>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=\"ks_c_5601-1987\"\n"
    "Content-Transfer-Encoding: 8bit\n"
    "X-Mailer: Microsoft Outlook 16.0\n"
    "\n",
    "안녕하세요.\n주문번호 A-1001 취소 부탁드립니다.\n".replace("\n", "\r\n").encode("cp949"),
])

# 2. euc-kr Q subject, euc-kr base64 body.
write("euckr-q-subject-base64-body.eml",
      "From: " + qword("euc-kr", "이영희") + " <lee@example.net>\n"
      "To: help@desk.example.com\n"
      "Subject: " + qword("euc-kr", "배송 문의") + "\n"
      "Date: Mon, 3 Feb 2025 14:05:09 +0900 (KST)\n"
      "Message-ID: <q-subject@example.net>\n"
      "MIME-Version: 1.0\n"
      "Content-Type: text/plain; charset=euc-kr\n"
      "Content-Transfer-Encoding: base64\n"
      "\n" + b64body("배송이 언제 되나요?\n빠른 답변 부탁드립니다.\n".encode("euc_kr")) + "\n")

# 3. utf-8 B subject split over two encoded words (a character split across
#    the words), utf-8 quoted-printable body.
subj = "환불 요청합니다".encode("utf-8")
w1 = "=?utf-8?B?%s?=" % base64.b64encode(subj[:4]).decode()
w2 = "=?UTF-8?B?%s?=" % base64.b64encode(subj[4:]).decode()
write("utf8-b-subject-qp-body.eml",
      "From: \"Park, Jisoo\" <park@example.com>\n"
      "To: help@desk.example.com, " + b64word("utf-8", "담당자") + " <agent@desk.example.com>\n"
      "Cc: boss@Example.COM\n"
      "Subject: " + w1 + "\n " + w2 + "\n"
      "Date: Tue, 4 Feb 2025 08:00:00 +0000\n"
      "Message-ID: <utf8-qp@example.com>\n"
      "MIME-Version: 1.0\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\n" + quopri.encodestring("지난주에 결제한 상품의 환불을 요청합니다. 결제 금액은 35,000원이고 주문번호는 B-2002입니다.\n".encode("utf-8")).decode() + "\n")

# 4. cp949 body with characters outside EUC-KR (KS X 1001): 똠, 믜, 햏.
write_bytes("cp949-extended-body.eml", [
    "From: choi@example.kr\n"
    "To: help@desk.example.com\n"
    "Subject: " + b64word("euc-kr", "똠방각하 믜 햏", "cp949") + "\n"
    "Date: Wed, 5 Feb 2025 10:00:00 +0900\n"
    "Message-ID: <cp949@example.kr>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=euc-kr\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n",
    "똠방각하 믜 햏 - 확장 완성형 글자\n".encode("cp949"),
])

# 5. HTML-only mail.
html = ("<html><head><title>ignored title</title><style>p {color: red}</style>"
        "<script>alert('x')</script></head><body>"
        "<div>안녕하세요&nbsp;고객님,</div>"
        "<p>주문 <b>A-1001</b>의 상태를 알려주세요.<br>감사합니다.</p>"
        "<p><a href=\"https://shop.example.com/orders/A-1001\">주문 보기</a> &amp; "
        "<a href=\"https://shop.example.com\">shop.example.com</a></p>"
        "<ul><li>첫째</li><li>둘째</li></ul>"
        "</body></html>\n")
write("html-only.eml",
      "From: web@shop.example.com\n"
      "To: help@desk.example.com\n"
      "Subject: HTML only\n"
      "Date: Thu, 6 Feb 2025 10:00:00 +0900\n"
      "Message-ID: <html-only@shop.example.com>\n"
      "MIME-Version: 1.0\n"
      "Content-Type: text/html; charset=\"utf-8\"\n"
      "Content-Transfer-Encoding: base64\n"
      "\n" + b64body(html.encode("utf-8")) + "\n")

# 6. multipart/alternative: euc-kr plain (base64) + html.
write("alternative.eml",
      "From: " + b64word("euc-kr", "정민준") + " <jung@example.org>\n"
      "To: help@desk.example.com\n"
      "Subject: Re: " + b64word("euc-kr", "견적 요청") + "\n"
      "Date: Fri, 7 Feb 2025 11:30:00 +0900\n"
      "Message-ID: <alt-1@example.org>\n"
      "In-Reply-To: <reply-0@desk.example.com>\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/alternative; boundary=\"=_alt_boundary\"\n"
      "\n"
      "This is a multi-part message in MIME format.\n"
      "\n"
      "--=_alt_boundary\n"
      "Content-Type: text/plain; charset=euc-kr\n"
      "Content-Transfer-Encoding: base64\n"
      "\n" + b64body("견적서 잘 받았습니다.\n검토 후 연락드리겠습니다.\n".encode("euc_kr")) + "\n"
      "--=_alt_boundary\n"
      "Content-Type: text/html; charset=euc-kr\n"
      "Content-Transfer-Encoding: base64\n"
      "\n" + b64body("<p>HTML 버전</p>".encode("euc_kr")) + "\n"
      "--=_alt_boundary--\n")

# 7. multipart/mixed with attachments: RFC 2231 UTF-8 name, RFC 2231
#    continuation in euc-kr, Outlook-style RFC 2047 name, forwarded mail.
pdf = bytes(range(256)) * 4 + b"%%EOF"          # 1029 bytes
hwp = b"HWP Document File" + b"\x00" * 100       # 117 bytes
img = b"\x89PNG\r\n\x1a\n" + b"\x01" * 50          # 58 bytes
name_utf8 = urllib.parse.quote("견적서 2025.pdf".encode("utf-8"), safe="")
name_euckr = urllib.parse.quote("계약서 사본.hwp".encode("euc_kr"), safe="")
fwd = ("From: a@example.com\n"
       "Subject: " + b64word("utf-8", "원본 메일: 배송/반품 안내") + "\n"
       "\n"
       "forwarded body\n")
write("attachments-rfc2231.eml",
      "From: han@example.com\n"
      "To: help@desk.example.com\n"
      "Subject: " + b64word("utf-8", "첨부 파일 보냅니다") + "\n"
      "Date: Sat, 8 Feb 2025 12:00:00 +0900\n"
      "Message-ID: <att@example.com>\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"outer\"\n"
      "\n"
      "--outer\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: base64\n"
      "\n" + b64body("파일 세 개를 첨부합니다.\n".encode("utf-8")) + "\n"
      "--outer\n"
      "Content-Type: application/pdf\n"
      "Content-Disposition: attachment;\n"
      " filename*=UTF-8''" + name_utf8 + "\n"
      "Content-Transfer-Encoding: base64\n"
      "\n" + b64body(pdf) + "\n"
      "--outer\n"
      "Content-Type: application/x-hwp\n"
      "Content-Disposition: attachment;\n"
      " filename*0*=euc-kr''" + name_euckr[:15] + ";\n"
      " filename*1*=" + name_euckr[15:] + "\n"
      "Content-Transfer-Encoding: base64\n"
      "\n" + b64body(hwp) + "\n"
      "--outer\n"
      "Content-Type: image/png;\n"
      " name=\"" + b64word("ks_c_5601-1987", "사진.png", "cp949") + "\"\n"
      "Content-Disposition: inline\n"
      "Content-Transfer-Encoding: base64\n"
      "\n" + b64body(img) + "\n"
      "--outer\n"
      "Content-Type: message/rfc822\n"
      "\n" + fwd + "\n"
      "--outer--\n")

# 8. No Message-ID, ASCII only, LF line ends.
write("no-message-id.eml",
      "From: Plain Person <plain@example.com>\n"
      "To: help@desk.example.com\n"
      "Subject:   Hello there  \n"
      "Date: Sun, 9 Feb 2025 12:00:00 +0000\n"
      "\n"
      "Just a plain body.\n", crlf=False)

# 9. References folded across lines, In-Reply-To with prose around the id.
write("references-folded.eml",
      "From: thread@example.com\n"
      "To: help@desk.example.com\n"
      "Subject: Re: Re: thread\n"
      "Date: Mon, 10 Feb 2025 12:00:00 +0000\n"
      "Message-ID: <m3@example.com>\n"
      "In-Reply-To: Your message of \"Sun, 09 Feb 2025\" <m2@example.com>\n"
      "References: <m0@desk.example.com>\n"
      "  <m1@example.com>\n"
      "\t<m2@example.com>\n"
      "\n"
      "reply text\n")

# 10. Auto-reply (Outlook out-of-office).
write("auto-reply.eml",
      "Return-Path: <kim@example.co.kr>\n"
      "From: " + b64word("ks_c_5601-1987", "김철수", "cp949") + " <kim@example.co.kr>\n"
      "To: help@desk.example.com\n"
      "Subject: " + b64word("ks_c_5601-1987", "자동 회신: 주문 확인", "cp949") + "\n"
      "Date: Tue, 11 Feb 2025 12:00:00 +0900\n"
      "Message-ID: <oof@example.co.kr>\n"
      "Auto-Submitted: auto-replied\n"
      "X-Auto-Response-Suppress: All\n"
      "MIME-Version: 1.0\n"
      "Content-Type: text/plain; charset=ks_c_5601-1987\n"
      "Content-Transfer-Encoding: base64\n"
      "\n" + b64body("휴가 중입니다. 2월 20일에 복귀합니다.\n".encode("cp949")) + "\n")

# 11. DSN (Exchange-style NDR: no Return-Path, no Auto-Submitted).
write("dsn.eml",
      "From: Microsoft Outlook <MicrosoftExchange329e71ec88ae@contoso.example>\n"
      "To: help@desk.example.com\n"
      "Subject: Undeliverable: Re: [FTA-PASS #12] order\n"
      "Date: Wed, 12 Feb 2025 12:00:00 +0000\n"
      "Message-ID: <dsn-1@contoso.example>\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/report; report-type=delivery-status;\n"
      "\tboundary=\"dsn_boundary\"\n"
      "\n"
      "--dsn_boundary\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "Delivery has failed to these recipients or groups:\n"
      "nobody@contoso.example\n"
      "--dsn_boundary\n"
      "Content-Type: message/delivery-status\n"
      "\n"
      "Reporting-MTA: dns;mail.contoso.example\n"
      "\n"
      "Final-Recipient: rfc822;nobody@contoso.example\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "--dsn_boundary\n"
      "Content-Type: text/rfc822-headers\n"
      "\n"
      "Subject: Re: [FTA-PASS #12] order\n"
      "--dsn_boundary--\n")

# 12. Malformed: missing closing boundary.
write("malformed-no-closing-boundary.eml",
      "From: broken@example.com\n"
      "To: help@desk.example.com\n"
      "Subject: " + b64word("utf-8", "잘린 메일") + "\n"
      "Date: Thu, 13 Feb 2025 12:00:00 +0000\n"
      "Message-ID: <trunc@example.com>\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"cut\"\n"
      "\n"
      "--cut\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "\n"
      "첫 번째 부분은 멀쩡합니다.\n"
      "--cut\n"
      "Content-Type: application/octet-stream; name=data.bin\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "AAECAwQF\n")

# 13. Malformed: header line without a colon; fields after it still count.
write("malformed-header-line.eml",
      "From: badheader@example.com\n"
      "To: help@desk.example.com\n"
      "This line has no colon\n"
      "Subject: still parsed\n"
      "Message-ID: <badhdr@example.com>\n"
      "\n"
      "body survives\n")

# 14. Unknown charset label on EUC-KR bytes -> fallback.
write_bytes("unknown-charset.eml", [
    "From: old@example.kr\n"
    "To: help@desk.example.com\n"
    "Subject: unknown charset\n"
    "Message-ID: <unknown-cs@example.kr>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=x-korean-unknown\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n",
    "알 수 없는 문자셋입니다.\n".encode("euc_kr"),
])

# 15. Raw (unencoded) 8-bit EUC-KR in Subject and From name, no charset.
write_bytes("raw-8bit-header.eml", [
    b"From: " + "홍길동".encode("euc_kr") + b" <hong@example.kr>\r\n",
    b"To: help@desk.example.com\r\n",
    b"Subject: " + "8비트 제목".encode("euc_kr") + b"\r\n",
    b"Message-ID: <raw8@example.kr>\r\n",
    b"\r\n",
    "본문도 8비트입니다.\r\n".encode("euc_kr"),
])
