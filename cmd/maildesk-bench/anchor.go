package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// idleAnchor is a bare go-imap client idling on a mailbox beside maildesk:
// when Dovecot announces each new message to it is the floor under
// maildesk's latency (issue 21 asks maildesk's p95 to stay within 100 ms
// of it), measured on the same deliveries.
type idleAnchor struct {
	c    *imapclient.Client
	idle *imapclient.IdleCommand

	mu     sync.Mutex
	exists uint32      // the last EXISTS seen
	seen   []time.Time // when each message count was first announced, by count
	notify chan struct{}
}

// startAnchor logs in as user and idles on its INBOX, selected
// read-write like maildesk's watcher's.
func startAnchor(addr, user string) (*idleAnchor, error) {
	a := &idleAnchor{notify: make(chan struct{}, 1)}
	c, err := imapclient.DialInsecure(addr, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					a.saw(*d.NumMessages, time.Now())
				}
			},
		},
	})
	if err != nil {
		return nil, err
	}
	a.c = c
	if err := c.Login(user, benchPassword).Wait(); err != nil {
		c.Close()
		return nil, err
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		c.Close()
		return nil, err
	}
	a.saw(sel.NumMessages, time.Time{})
	if a.idle, err = c.Idle(); err != nil {
		c.Close()
		return nil, err
	}
	return a, nil
}

func (a *idleAnchor) saw(n uint32, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.exists < n {
		a.exists++
		a.seen = append(a.seen, at)
	}
	select {
	case a.notify <- struct{}{}:
	default:
	}
}

// wait returns when the mailbox's n-th message was announced.
func (a *idleAnchor) wait(ctx context.Context, n uint32, limit time.Duration) (time.Time, error) {
	deadline := time.After(limit)
	for {
		a.mu.Lock()
		if a.exists >= n {
			at := a.seen[n-1]
			a.mu.Unlock()
			return at, nil
		}
		a.mu.Unlock()
		select {
		case <-a.notify:
		case <-deadline:
			return time.Time{}, fmt.Errorf("the IDLE anchor saw no message %d in %s", n, limit)
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

func (a *idleAnchor) close() {
	a.idle.Close()
	a.c.Close()
}
