package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64 // 0: an error
	}{
		{"25MB", 25 << 20}, {"25mb", 25 << 20}, {"512KB", 512 << 10}, {"1G", 1 << 30}, {"1048576", 1 << 20},
		{" 10 MB ", 10 << 20}, {"100B", 100},
		{"", 0}, {"MB", 0}, {"-1MB", 0}, {"0", 0}, {"25XB", 0}, {"1.5MB", 0}, {"99999999999GB", 0},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != (tt.want == 0) || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

// TestSizeKeys: the size keys are read with their unit and default, and a
// bad value is a problem with its line. max_message_size has a floor;
// staff_attachments_max takes "0" for attach nothing (a setting ParseSize
// alone refuses).
func TestSizeKeys(t *testing.T) {
	setTestEnv(t)
	good, err := os.ReadFile(filepath.Join("testdata", "good.toml"))
	if err != nil {
		t.Fatal(err)
	}
	maxMessage := func(c *Config) int64 { return c.MaxMessageSize }
	attachMax := func(c *Config) int64 { return c.StaffAttachmentsMax }
	tests := []struct {
		line    string // inserted as line 2; "" for none
		get     func(*Config) int64
		want    int64
		problem string
	}{
		{"", maxMessage, DefaultMaxMessageSize, ""},
		{`max_message_size = "10MB"`, maxMessage, 10 << 20, ""},
		{`max_message_size = "25X"`, maxMessage, 0, `:2: max_message_size: "25X" is not a size`},
		{`max_message_size = "1KB"`, maxMessage, 0, `:2: max_message_size "1KB" is below the minimum of 64KB`},
		{`max_message_size = 1000000`, maxMessage, 0, `:2: "max_message_size" must be a string`},
		{"", attachMax, DefaultStaffAttachmentsMax, ""},
		{`staff_attachments_max = "10MB"`, attachMax, 10 << 20, ""},
		{`staff_attachments_max = "512KB"`, attachMax, 512 << 10, ""},
		{`staff_attachments_max = "0"`, attachMax, 0, ""},
		{`staff_attachments_max = "-1MB"`, attachMax, -1, `:2: staff_attachments_max: "-1MB" is not a size`},
		{`staff_attachments_max = "10X"`, attachMax, -1, `:2: staff_attachments_max: "10X" is not a size`},
		{`staff_attachments_max = 0`, attachMax, -1, `:2: "staff_attachments_max" must be a string`},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", i, tt.line), func(t *testing.T) {
			dir := t.TempDir()
			lines := strings.SplitN(string(good), "\n", 2)
			path := filepath.Join(dir, "maildesk.toml")
			writeFile(t, path, lines[0]+"\n"+tt.line+"\n"+lines[1])
			writeFile(t, filepath.Join(dir, "imap.secret"), "pw\n")
			cfg, err := Load(path)
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("got %v, want a problem containing %q", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.get(cfg); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
