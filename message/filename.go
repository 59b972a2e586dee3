package message

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxFileNameBytes bounds a file name: most file systems allow 255 bytes,
// and a Korean name takes three a character.
const maxFileNameBytes = 200

// extensions name unnamed parts of the common types, so that a handler's
// system opens "part-2.png" as an image; anything else is ".bin".
var extensions = map[string]string{
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/bmp": ".bmp",
	"application/pdf": ".pdf", "text/plain": ".txt", "text/html": ".html",
	"message/rfc822": ".eml", "message/global": ".eml", "application/zip": ".zip",
}

// SafeFileNames gives each attachment a file name that is safe to create
// in a directory and to show: the sender chooses the names, and a name is
// hostile until shown otherwise. Path separators, control characters
// (terminal escapes among them), bidirectional overrides and the
// characters Windows refuses become "_"; leading dots and trailing dots
// and spaces go, so nothing is hidden or lands outside the directory ("..",
// "a/b", "../../etc/passwd"); a name too long is cut, keeping its
// extension; an unnamed part, or one with nothing left, is "part-N" (N its
// 1-based place in atts) with an extension for its type. Names are NFC, so
// a Korean name a Mac sent decomposed matches the one typed. Names that
// clash (case-insensitively, as on Windows and macOS) get "-2", "-3" … before
// the extension. The result has one name per attachment, in order.
func SafeFileNames(atts []Attachment) []string {
	names := make([]string, len(atts))
	taken := map[string]bool{}
	for i, a := range atts {
		n := safeFileName(a.Name)
		if n == "" {
			ext := extensions[a.ContentType]
			if ext == "" {
				ext = ".bin"
			}
			n = fmt.Sprintf("part-%d%s", i+1, ext)
		}
		base, ext := splitExt(n)
		for k := 2; taken[strings.ToLower(n)]; k++ {
			n = fmt.Sprintf("%s-%d%s", base, k, ext)
		}
		taken[strings.ToLower(n)] = true
		names[i] = n
	}
	return names
}

// safeFileName is one name made safe, or "" when nothing usable is left.
func safeFileName(name string) string {
	name = norm.NFC.String(strings.ToValidUTF8(name, "_"))
	name = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			return '_'
		case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f:
			return '_'
		case strings.ContainsRune(`/\:*?"<>|`, r):
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	if strings.Trim(name, "_ ") == "" {
		return ""
	}
	if reservedWindowsName(name) {
		name = "_" + name
	}
	if len(name) > maxFileNameBytes {
		base, ext := splitExt(name)
		if len(ext) > 20 {
			ext = ""
		}
		base = cutBytes(base, maxFileNameBytes-len(ext))
		name = strings.TrimRight(base, ". ") + ext
	}
	return name
}

// splitExt splits "a.tar.gz" into "a.tar" and ".gz"; a name without a dot
// has no extension.
func splitExt(n string) (string, string) {
	ext := path.Ext(n)
	if ext == n {
		return n, ""
	}
	return strings.TrimSuffix(n, ext), ext
}

// cutBytes cuts s to at most n bytes on a character boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// reservedWindowsName: CON, NUL, COM1 … open a device on Windows whatever
// their extension, and handlers copy files there.
func reservedWindowsName(n string) bool {
	base, _, _ := strings.Cut(strings.ToUpper(n), ".")
	switch strings.TrimSpace(base) {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return true
	}
	return false
}
