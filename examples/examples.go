// Package examples embeds the example configuration: the demo runs on it and
// admins start from it.
package examples

import "embed"

// FS holds maildesk.toml and rules/*.toml.
//
//go:embed maildesk.toml rules
var FS embed.FS
