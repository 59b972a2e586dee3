package localmail

import (
	"net"
	"sync"
)

// trackedListener remembers the connections it accepted so that Close can
// drop them all: neither server closes idle connections in a way it then
// waits for. A connection accepted after closeAll is closed at once.
type trackedListener struct {
	net.Listener
	closeOnce sync.Once
	closeErr  error

	mu     sync.Mutex
	closed bool
	conns  map[*trackedConn]struct{}
}

func newTrackedListener(ln net.Listener) *trackedListener {
	return &trackedListener{Listener: ln, conns: make(map[*trackedConn]struct{})}
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close() // the server sees a dead connection and drops it
		return tc, nil
	}
	l.conns[tc] = struct{}{}
	return tc, nil
}

// Close is idempotent because both Close and the servers close the listener.
func (l *trackedListener) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.Listener.Close() })
	return l.closeErr
}

// closeAll closes the listener and every connection it handed out.
func (l *trackedListener) closeAll() {
	l.Close()
	l.mu.Lock()
	l.closed = true
	conns := make([]*trackedConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

type trackedConn struct {
	net.Conn
	l    *trackedListener
	once sync.Once
	err  error
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		c.err = c.Conn.Close()
	})
	return c.err
}
