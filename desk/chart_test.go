package desk

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestBarChart(t *testing.T) {
	tests := []struct {
		name    string
		points  []chartPoint
		top     float64
		heights []float64 // of the bars, in the 164-pixel plot
	}{
		{"scaled to a tidy top", []chartPoint{{"a", 2, "2"}, {"b", 3, "3"}, {"c", 0, "0"}}, 0, []float64{82, 123, 0}},
		{"percentages", []chartPoint{{"x", 50, "50%"}, {"y", 100, "100%"}}, 100, []float64{82, 164}},
		{"none", nil, 0, nil},
	}
	re := regexp.MustCompile(`<rect class="bar" [^>]*height="([0-9.]+)"`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svg := string(barChart("제목 <title>", tt.points, tt.top, "", "#000"))
			if !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg"`) || !strings.HasSuffix(svg, "</svg>") {
				t.Fatalf("not one svg element: %.80s", svg)
			}
			if strings.Contains(svg, "<title>제목 <title>") || !strings.Contains(svg, "제목 &lt;title&gt;") {
				t.Errorf("title not escaped")
			}
			ms := re.FindAllStringSubmatch(svg, -1)
			if len(ms) != len(tt.heights) {
				t.Fatalf("%d bars, want %d", len(ms), len(tt.heights))
			}
			for i, m := range ms {
				if h, _ := strconv.ParseFloat(m[1], 64); h != tt.heights[i] {
					t.Errorf("bar %d: height %v, want %v", i, h, tt.heights[i])
				}
			}
			for _, p := range tt.points {
				if !strings.Contains(svg, ">"+p.Text+"<") {
					t.Errorf("bar %s: its number %q is not shown", p.Label, p.Text)
				}
			}
		})
	}
}

func TestLineChartBreaksWithoutValue(t *testing.T) {
	svg := string(lineChart("월별", []chartPoint{{"1월", 100, "100%"}, {"2월", 50, "50%"}, {"3월", 0, ""}, {"4월", 75, "75%"}, {"5월", 80, "80%"}}, 100, "%", "#000"))
	if n := strings.Count(svg, "<polyline"); n != 2 {
		t.Errorf("%d line segments, want 2 (March has no value)", n)
	}
	if n := strings.Count(svg, `<circle class="point"`); n != 4 {
		t.Errorf("%d points, want 4", n)
	}
}
