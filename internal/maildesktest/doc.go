// Package maildesktest holds what maildesk's tests share: a throwaway
// Dovecot that skips or fails the test where it cannot run, the shared mail
// corpus, mail builders, and waits.
//
// Only tests import it (layering_test.go holds that line), because it
// imports testing; what a binary needs, such as the Dovecot runner for the
// benchmark, lives in a package of its own (internal/dovecot).
package maildesktest
