package tomlcheck

import "testing"

func TestIsName(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"fta-pass", true},
		{"voc2", true},
		{"-", true},
		{"", false},
		{"FTA-PASS", false},
		{"fta_pass", false},
		{"fta pass", false},
		{"민원", false},
		{"fta-pass\n", false},
	}
	for _, tt := range tests {
		if got := IsName(tt.in); got != tt.want {
			t.Errorf("IsName(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}
