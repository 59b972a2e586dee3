package desk

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/internal/maildesktest"
)

// TestReportHTMLInChromium opens the simulated year's HTML report in
// headless Chromium: the DOM it builds holds the JSON's figures, the
// screenshot decodes and is not blank, and it prints to PDF.
func TestReportHTMLInChromium(t *testing.T) {
	maildesktest.NeedChromium(t)
	f, _ := simulatedYear(t)
	seoul, _ := time.LoadLocation("Asia/Seoul")
	r, err := f.desk.Report(context.Background(), time.Date(2026, 1, 1, 0, 0, 0, 0, seoul), time.Date(2027, 1, 1, 0, 0, 0, 0, seoul), "")
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := r.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + file

	dom := string(maildesktest.Headless(t, "--dump-dom", url))
	for id, want := range map[string]string{
		"period": "2026-01-01 ~ 2026-12-31", "received": "9", "answered": "6", "answered_on_time": "5", "on_time_rate": "83.33%",
		"notices_sent": "3", "deadlines_passed": "2", "overdue": "1", "median_hours": "47.5", "p90_hours": "64.5",
		"survey_sent": "4", "survey_average": "3.67", "survey_score100": "66.7", "compensation_krw": "10000원",
	} {
		re := regexp.MustCompile(`id="` + id + `">([^<]*)<`)
		m := re.FindStringSubmatch(dom)
		if m == nil || m[1] != want {
			t.Errorf("DOM #%s: got %v, want %q", id, m, want)
		}
	}
	if n := strings.Count(dom, "<svg"); n != 6 {
		t.Errorf("DOM has %d charts, want 6", n)
	}
	if !strings.Contains(dom, "정정 요청과 보상") || strings.Contains(dom, "<script") {
		t.Errorf("DOM is cut short or has a script")
	}

	shot := filepath.Join(dir, "report.png")
	maildesktest.Headless(t, "--screenshot="+shot, "--window-size=1100,3200", "--hide-scrollbars", url)
	fh, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1100 || b.Dy() != 3200 {
		t.Errorf("screenshot is %v, want 1100×3200", b)
	}
	dark, colours := inked(img)
	// The page is mostly white; text, tables and the charts' bars and
	// lines ink a few percent of it, in several colours.
	if dark < 0.01 || colours < 5 {
		t.Errorf("screenshot looks blank: %.2f%% inked, %d colours", dark*100, colours)
	}
	t.Logf("screenshot %v: %.1f%% inked, %d colours; HTML %d bytes", img.Bounds().Size(), dark*100, colours, page.Len())

	pdf := filepath.Join(dir, "report.pdf")
	maildesktest.Headless(t, "--print-to-pdf="+pdf, "--no-pdf-header-footer", url)
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(b, -1))
	if !bytes.HasPrefix(b, []byte("%PDF-")) || pages < 1 {
		t.Errorf("print to PDF: %d bytes, %d pages", len(b), pages)
	}
	t.Logf("PDF: %d bytes, %d A4 pages", len(b), pages)
}

// inked returns the share of pixels that are not near-white, and how many
// distinct colours (to 4 bits a channel) they have.
func inked(img image.Image) (float64, int) {
	b := img.Bounds()
	seen := map[uint32]bool{}
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				n++
				seen[(r>>12)<<8|(g>>12)<<4|bl>>12] = true
			}
		}
	}
	return float64(n) / float64((b.Dx()/2)*(b.Dy()/2)), len(seen)
}
