package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

// backupDatabase writes an online, consistent copy of the configured
// database to dest while the daemon runs (store.Backup), and says how big
// it is.
func backupDatabase(ctx context.Context, configPath, dest string, w io.Writer) error {
	st, _, err := openExisting(ctx, configPath)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, dest); err != nil {
		return err
	}
	fi, err := os.Stat(dest)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "ok: %s: a consistent copy of %s, %d bytes, integrity checked\n", dest, st.Path(), fi.Size())
	return nil
}
