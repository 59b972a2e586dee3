package rules

import (
	"github.com/kioi/maildesk/internal/tomlcheck"
)

// Problem is one thing wrong in a file; its Error is file:line: message.
type Problem = tomlcheck.Problem

// Problems is the error Load and Validate return: every problem, one per
// line, sorted by file and line.
type Problems = tomlcheck.Problems

// tomlFile is a rule file being decoded, with the line of every key; the
// checks of this package are its methods.
type tomlFile struct {
	*tomlcheck.File
}

// decodeTOML decodes data into v strictly (tomlcheck.Decode).
func decodeTOML(path string, data []byte, v any) (*tomlFile, bool) {
	f, ok := tomlcheck.Decode(path, data, v)
	return &tomlFile{File: f}, ok
}
