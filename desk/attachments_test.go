package desk

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
)

// pngBytes and xlsxBytes stand in for a screenshot and a spreadsheet: binary,
// with the bytes base64 and line ends would damage if mishandled.
var (
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 0xff, '\r', '\n', 0x1b}, 300)...)
	xlsxBytes = append([]byte("PK\x03\x04\x14\x00\x06\x00"), bytes.Repeat([]byte("\x00\x01\xfe\n"), 500)...)
)

func customerFilesMail(files ...maildesktest.File) []byte {
	return maildesktest.InquiryWithFiles("김고객 <kim@example.co.kr>", "fta-pass@origin.or.kr", "오류 문의", "f1@example.co.kr",
		"화면에 오류가 납니다. 첨부 파일을 봐 주세요.\r\n", files...)
}

// TestStaffNoticeFiles: the handler's notice names every file of the
// customer's mail with its type and size, carries them when they fit
// staff_attachments_max, and otherwise says how to extract them.
func TestStaffNoticeFiles(t *testing.T) {
	two := []maildesktest.File{
		{Name: "오류화면.png", ContentType: "image/png", Data: pngBytes, Encoding: "rfc2231"},
		{Name: "품목목록.xlsx", ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: xlsxBytes, Encoding: "rfc2047"},
	}
	tests := []struct {
		name      string
		max       int64 // the Desk's attachMax; 0 keeps the default
		files     []maildesktest.File
		attached  []string // file names the notice carries
		wantText  []string
		avoidText []string
	}{
		{
			name: "under the limit", files: two, attached: []string{"오류화면.png", "품목목록.xlsx"},
			wantText:  []string{"첨부 파일 2개:", "오류화면.png (image/png, 1.5 KB) - 이 메일에 첨부", "품목목록.xlsx (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, 2 KB)", "Attached to this mail."},
			avoidText: []string{"-attachments"},
		},
		{
			name: "over the limit", max: 2 << 10, files: two,
			wantText: []string{"첨부 파일 2개:", "오류화면.png (image/png, 1.5 KB)\n", "파일이 모두 합쳐 2 KB를 넘어 이 메일에 첨부하지 않았습니다", "maildesk ticket 1 -attachments DIR",
				"Not attached (over 2 KB in all); extract them with: maildesk ticket 1 -attachments DIR"},
			avoidText: []string{") - 이 메일에 첨부"},
		},
		{
			name: "never attach", max: -1, files: two,
			wantText:  []string{"품목목록.xlsx", "설정에 따라 파일을 이 메일에 첨부하지 않았습니다", "maildesk ticket 1 -attachments DIR", "Not attached; extract"},
			avoidText: []string{"넘어", "over "},
		},
		{
			name: "hostile names", files: []maildesktest.File{
				{Name: "../../etc/passwd", ContentType: "text/plain", Data: []byte("root:x:0:0\n")},
				{Name: "\x1b[2J.png", ContentType: "image/png", Data: pngBytes, Encoding: "rfc2231"},
				{Name: "오류화면.png", ContentType: "image/png", Data: pngBytes, Encoding: "rfc2231"},
				{Name: "오류화면.png", ContentType: "image/png", Data: pngBytes, Encoding: "rfc2047"},
			},
			attached:  []string{"passwd", "_[2J.png", "오류화면.png", "오류화면-2.png"},
			wantText:  []string{"passwd (text/plain, 11 B)", "_[2J.png (image/png", "오류화면-2.png"},
			avoidText: []string{"\x1b", "../"},
		},
		{name: "no files", avoidText: []string{"첨부 파일", "Files:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, rulesFrom(t, deadlineRules))
			if tt.max != 0 {
				f.desk.attachMax = tt.max
			}
			raw := customerFilesMail(tt.files...)
			if len(tt.files) == 0 {
				raw = mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "f1@example.co.kr"}.raw()
			}
			f.deliver("fta-pass", 1, 1, raw)
			notice := f.staffOf(0)
			var names []string
			for i, a := range notice.Attachments {
				names = append(names, a.Name)
				if want := tt.files[i].Data; !bytes.Equal(a.Data, want) {
					t.Errorf("attachment %s: %d bytes differ from the customer's %d", a.Name, len(a.Data), len(want))
				}
			}
			if strings.Join(names, "|") != strings.Join(tt.attached, "|") {
				t.Errorf("attached: got %q, want %q", names, tt.attached)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(notice.Text, w) {
					t.Errorf("notice lacks %q:\n%s", w, notice.Text)
				}
			}
			for _, a := range tt.avoidText {
				if strings.Contains(notice.Text, a) {
					t.Errorf("notice has %q:\n%s", a, notice.Text)
				}
			}
		})
	}
}

// TestStaffNoticeDamagedFile: a file whose base64 is broken is still
// listed, and the notice says the mail is damaged so the handler does not
// trust it.
func TestStaffNoticeDamagedFile(t *testing.T) {
	f := newFixtureWith(t, rulesFrom(t, deadlineRules))
	raw := customerFilesMail(maildesktest.File{Name: "오류화면.png", ContentType: "image/png", Data: pngBytes, Encoding: "rfc2231"})
	// Cut a base64 quantum in the middle of the file's part.
	i := bytes.Index(raw, []byte("iVBORw0KGgo"))
	raw = append(append(raw[:i+40:i+40], []byte("!!*")...), raw[i+40:]...)
	f.deliver("fta-pass", 1, 1, raw)
	notice := f.staffOf(0)
	for _, w := range []string{"오류화면.png (image/png", "손상된 부분이 있습니다", "decode base64", "damaged in places"} {
		if !strings.Contains(notice.Text, w) {
			t.Errorf("notice lacks %q:\n%s", w, notice.Text)
		}
	}
}

// TestStaffNoticeFilesOfFollowUp: a follow-up's notice carries that
// mail's files, and a transfer's the customer's latest mail's.
func TestStaffNoticeFilesOfFollowUp(t *testing.T) {
	f, notice := staffFixture(t)
	if len(notice.Attachments) != 0 {
		t.Fatalf("first notice: got %d attachments, want none", len(notice.Attachments))
	}
	follow := maildesktest.InquiryWithFiles("김고객 <kim@example.co.kr>", "fta-pass@origin.or.kr", "Re: "+notice.Subject, "f2@example.co.kr",
		"화면을 첨부합니다.\r\n", maildesktest.File{Name: "오류화면.png", ContentType: "image/png", Data: pngBytes, Encoding: "rfc2231"})
	f.deliver("fta-pass", 1, 2, follow)
	got := f.staffOf(1)
	if len(got.Attachments) != 1 || got.Attachments[0].Name != "오류화면.png" || !bytes.Equal(got.Attachments[0].Data, pngBytes) {
		t.Fatalf("follow-up notice attachments: got %+v", got.Attachments)
	}
	f.reply(got, "임민수 <mslim@origin.or.kr>", got.ReplyTo[0].Addr, "#assign boss\r\n")
	s := f.state("fta-pass")
	transfer := f.parsed(s.staff[len(s.staff)-1])
	if !strings.Contains(transfer.Text, "넘어왔습니다") || len(transfer.Attachments) != 1 {
		t.Errorf("transfer notice: %d attachments, text:\n%s", len(transfer.Attachments), transfer.Text)
	}
}

func TestHumanSize(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {812, "812 B"}, {1023, "1023 B"}, {1024, "1 KB"}, {1536, "1.5 KB"}, {1075, "1 KB"},
		{24030, "23 KB"}, {350 << 10, "350 KB"}, {1<<20 - 100, "1 MB"}, {1258291, "1.2 MB"},
		{10 << 20, "10 MB"}, {25<<20 + 1, "25 MB"}, {3 << 30, "3 GB"},
	} {
		if got := HumanSize(tt.n); got != tt.want {
			t.Errorf("HumanSize(%d): got %q, want %q", tt.n, got, tt.want)
		}
	}
}
