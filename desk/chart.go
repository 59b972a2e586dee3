package desk

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// Small inline SVG charts for the HTML report: no script, no resource
// from the network, printable. Each is a fixed 640×220 view box.

const (
	chartW, chartH         = 640, 220
	chartLeft, chartRight  = 48, 12
	chartTop, chartBottom  = 16, 40
	chartPlotW, chartPlotH = chartW - chartLeft - chartRight, chartH - chartTop - chartBottom
)

// chartPoint is one bar or point: its label, its value and the text shown
// at it (the report's number, as the JSON has it).
type chartPoint struct {
	Label string
	Value float64
	Text  string
}

func chartOpen(b *strings.Builder, title string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(b, `<title>%s</title>`, html.EscapeString(title))
	// Axes.
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555"/>`, chartLeft, chartTop+chartPlotH, chartLeft+chartPlotW, chartTop+chartPlotH)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555"/>`, chartLeft, chartTop, chartLeft, chartTop+chartPlotH)
}

func yOf(v, max float64) float64 {
	if max <= 0 {
		return chartTop + chartPlotH
	}
	return chartTop + chartPlotH - v/max*chartPlotH
}

// scaleMax is the largest value rounded up to a tidy bound (at least 4).
func scaleMax(points []chartPoint) float64 {
	m := 0.0
	for _, p := range points {
		m = max(m, p.Value)
	}
	// Multiples of 4, so that the four grid lines fall on whole numbers.
	for _, step := range []float64{4, 8, 12, 20, 40, 80, 100, 200, 400, 800, 1000, 2000, 4000, 10000} {
		if m <= step {
			return step
		}
	}
	return m
}

func yTicks(b *strings.Builder, top float64, unit string) {
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		y := yOf(v, top)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`, chartLeft, y, chartLeft+chartPlotW, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" font-size="10" text-anchor="end">%s%s</text>`, chartLeft-4, y+3, trimFloat(v), unit)
	}
}

// barChart draws one bar per point, scaled to top (0: the largest value,
// rounded up).
func barChart(title string, points []chartPoint, top float64, unit, color string) template.HTML {
	var b strings.Builder
	chartOpen(&b, title)
	if top <= 0 {
		top = scaleMax(points)
	}
	yTicks(&b, top, unit)
	if n := len(points); n > 0 {
		slot := float64(chartPlotW) / float64(n)
		w := slot * 0.7
		for i, p := range points {
			x := chartLeft + slot*float64(i) + (slot-w)/2
			y := yOf(p.Value, top)
			fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s</title></rect>`,
				x, y, w, chartTop+chartPlotH-y, color, html.EscapeString(p.Label), html.EscapeString(p.Text))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%s</text>`, x+w/2, y-3, html.EscapeString(p.Text))
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%s</text>`, x+w/2, chartTop+chartPlotH+14, html.EscapeString(p.Label))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// lineChart joins the points; a point with an empty Text has no value
// (a month without answers) and breaks the line.
func lineChart(title string, points []chartPoint, top float64, unit, color string) template.HTML {
	var b strings.Builder
	chartOpen(&b, title)
	if top <= 0 {
		top = scaleMax(points)
	}
	yTicks(&b, top, unit)
	if n := len(points); n > 0 {
		slot := float64(chartPlotW) / float64(n)
		var seg []string
		flush := func() {
			if len(seg) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, color, strings.Join(seg, " "))
			}
			seg = nil
		}
		for i, p := range points {
			x := chartLeft + slot*float64(i) + slot/2
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%s</text>`, x, chartTop+chartPlotH+14, html.EscapeString(p.Label))
			if p.Text == "" {
				flush()
				continue
			}
			y := yOf(p.Value, top)
			seg = append(seg, fmt.Sprintf("%.1f,%.1f", x, y))
			fmt.Fprintf(&b, `<circle class="point" cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s: %s</title></circle>`,
				x, y, color, html.EscapeString(p.Label), html.EscapeString(p.Text))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%s</text>`, x, y-6, html.EscapeString(p.Text))
		}
		flush()
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
