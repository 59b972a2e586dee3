package tomlcheck

import "regexp"

var nameRE = regexp.MustCompile(`^[a-z0-9-]+$`)

// IsName reports whether s has the form of the names and IDs the files
// refer to each other by: lower-case letters, digits and '-'. It is here
// because both sides of a reference must agree on it: a mailbox named in
// maildesk.toml is what rule files route by, and staff type IDs in
// commands.
func IsName(s string) bool { return nameRE.MatchString(s) }
