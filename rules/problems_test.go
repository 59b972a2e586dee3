package rules

import (
	"errors"
	"strings"
	"testing"
)

// problemStrings returns the problems of err, which must be Problems.
func problemStrings(t *testing.T, err error) []string {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got error %T %v, want Problems", err, err)
	}
	return ps.Strings()
}

func checkProblems(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want %q", want)
	}
	got := problemStrings(t, err)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got problems\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}
