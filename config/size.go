package config

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultMaxMessageSize is max_message_size when unset: 25 MB, the common
// limit of mail servers, so mail that got here at all is stored whole.
const DefaultMaxMessageSize = 25 << 20

// DefaultStaffAttachmentsMax is staff_attachments_max when unset: 10 MB of
// files, which with base64 and the notice stays well under the 25 MB most
// mail servers take.
const DefaultStaffAttachmentsMax = 10 << 20

// minMaxMessageSize keeps a typo ("25K" for "25M") from quarantining all mail.
const minMaxMessageSize = 64 << 10

// ParseSize parses a size like "25MB", "512KB", "1GB" or "1048576" (bytes).
// Units are binary (1KB = 1024 bytes) and case-insensitive; "K", "M", "G"
// and "B" work too.
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size like \"25MB\", \"512KB\" or a number of bytes", s)
	}
	return n * mult, nil
}
