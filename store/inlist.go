package store

import "strings"

// maxInList bounds the values one statement binds in an IN list. A list
// from a mail (References, the ids a bounce quotes) is as long as its
// sender likes, and past SQLITE_MAX_VARIABLE_NUMBER (32,766) the statement
// fails with "too many SQL variables": the batch rolled back and the
// mailbox was stuck on that mail for good. 500 keeps each statement's
// list well under any build's limit (999 in old ones) and its temporary
// b-tree small.
const maxInList = 500

// inChunks calls fn with the arguments prefix followed by vals in pieces
// of at most maxInList, each piece padded to a power of two (or to
// maxInList) by repeating its last value, and with the matching "?, ?, …"
// for the IN list. Padding bounds the distinct statement texts to about
// ten per query, so lists of every length do not fill the prepared-
// statement cache (which never evicts); a repeated value changes nothing
// an IN list matches. A list longer than one piece is deduplicated first,
// so that a mail naming one id 40,000 times costs one statement.
//
// Only lists that come from mail need it; a list the code makes (a
// ticket's statuses, message kinds) is a few values and goes into one
// statement with placeholders.
func inChunks(prefix []any, vals []string, fn func(list string, args []any) error) error {
	if len(vals) > maxInList {
		vals = dedupe(vals)
	}
	for len(vals) > 0 {
		n := min(len(vals), maxInList)
		chunk := vals[:n]
		vals = vals[n:]
		size := paddedLen(n)
		args := make([]any, len(prefix), len(prefix)+size)
		copy(args, prefix)
		for i := range size {
			args = append(args, chunk[min(i, n-1)])
		}
		if err := fn(placeholders(size), args); err != nil {
			return err
		}
	}
	return nil
}

// paddedLen is the smallest power of two at least n, capped at maxInList.
func paddedLen(n int) int {
	size := 1
	for size < n {
		size *= 2
	}
	return min(size, maxInList)
}

// allPlaceholders is the longest list placeholders returns; shorter ones
// are its prefixes, so that building a statement allocates no list.
var allPlaceholders = "?" + strings.Repeat(", ?", maxInList-1)

// placeholders returns "?, ?, …" with n marks, 1 <= n <= maxInList.
func placeholders(n int) string {
	return allPlaceholders[:1+3*(n-1)]
}

func dedupe(vals []string) []string {
	seen := make(map[string]bool, len(vals))
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
