package config

import (
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

// TestMaxMessageSizeKey: max_message_size is read with its unit, defaults
// to 25 MB, and a bad value is a problem with its line.
func TestMaxMessageSizeKey(t *testing.T) {
	setTestEnv(t)
	good, err := os.ReadFile(filepath.Join("testdata", "good.toml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line    string // inserted as line 2; "" for none
		want    int64
		problem string
	}{
		{"", DefaultMaxMessageSize, ""},
		{`max_message_size = "10MB"`, 10 << 20, ""},
		{`max_message_size = "25X"`, 0, `:2: max_message_size: "25X" is not a size`},
		{`max_message_size = "1KB"`, 0, `:2: max_message_size "1KB" is below the minimum of 64KB`},
		{`max_message_size = 1000000`, 0, `:2: "max_message_size" must be a string`},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			dir := t.TempDir()
			lines := strings.SplitN(string(good), "\n", 2)
			text := lines[0] + "\n" + tt.line + "\n" + lines[1]
			path := filepath.Join(dir, "maildesk.toml")
			writeFile(t, path, text)
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
			if cfg.MaxMessageSize != tt.want {
				t.Errorf("MaxMessageSize: got %d, want %d", cfg.MaxMessageSize, tt.want)
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

// TestStaffAttachmentsMaxKey: staff_attachments_max defaults to 10 MB,
// takes the units of max_message_size, and "0" means attach nothing (a
// setting ParseSize alone refuses).
func TestStaffAttachmentsMaxKey(t *testing.T) {
	setTestEnv(t)
	good, err := os.ReadFile(filepath.Join("testdata", "good.toml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line    string // inserted as line 2; "" for none
		want    int64
		problem string
	}{
		{"", DefaultStaffAttachmentsMax, ""},
		{`staff_attachments_max = "10MB"`, 10 << 20, ""},
		{`staff_attachments_max = "512KB"`, 512 << 10, ""},
		{`staff_attachments_max = "0"`, 0, ""},
		{`staff_attachments_max = "-1MB"`, -1, `:2: staff_attachments_max: "-1MB" is not a size`},
		{`staff_attachments_max = "10X"`, -1, `:2: staff_attachments_max: "10X" is not a size`},
		{`staff_attachments_max = 0`, -1, `:2: "staff_attachments_max" must be a string`},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
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
			if cfg.StaffAttachmentsMax != tt.want {
				t.Errorf("StaffAttachmentsMax: got %d, want %d", cfg.StaffAttachmentsMax, tt.want)
			}
		})
	}
}
