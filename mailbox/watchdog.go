package mailbox

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// watchdogConn puts an inactivity limit on reads while a command is
// outstanding. go-imap bounds the time inside one response, but not the
// wait between two: a server that stops sending in the middle of a long
// FETCH would hang it for good. While armed, every read must receive
// something within timeout or it fails, the command fails with it, and the
// Fetcher reconnects and asks again. Disarmed (no command, or IDLE, where a
// server rightly says nothing for minutes), only go-imap's own deadlines
// apply.
type watchdogConn struct {
	net.Conn
	timeout time.Duration
	armed   atomic.Bool

	mu  sync.Mutex
	lib time.Time // the read deadline go-imap (or crypto/tls) asked for

	// budget is what may still be read while armed; over records that a
	// read passed it. It bounds what a server can make a command hold, or
	// how long it can keep it reading (endless untagged responses).
	budget atomic.Int64
	over   atomic.Bool
}

var errBudget = errors.New("mailbox: byte budget of the command exceeded")

func (c *watchdogConn) apply() error {
	c.mu.Lock()
	d := c.lib
	c.mu.Unlock()
	if c.armed.Load() {
		if w := time.Now().Add(c.timeout); d.IsZero() || w.Before(d) {
			d = w
		}
	}
	return c.Conn.SetReadDeadline(d)
}

func (c *watchdogConn) Read(p []byte) (int, error) {
	armed := c.armed.Load()
	if armed {
		if c.over.Load() {
			return 0, errBudget
		}
		c.apply() // a fresh limit for each read: it measures silence, not the whole transfer
	}
	n, err := c.Conn.Read(p)
	if armed && c.budget.Add(-int64(n)) < 0 {
		c.over.Store(true)
		c.Conn.Close() // go-imap's reader ends with the connection
		return n, errBudget
	}
	return n, err
}

// exceeded tells whether a read passed the budget.
func (c *watchdogConn) exceeded() bool { return c.over.Load() }

func (c *watchdogConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.lib = t
	c.mu.Unlock()
	return c.apply()
}

func (c *watchdogConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetWriteDeadline(t)
}

// arm starts the limit, also for a read already waiting, with budget bytes
// allowed until disarm.
func (c *watchdogConn) arm(budget int64) {
	c.budget.Store(budget)
	c.armed.Store(true)
	c.apply()
}

func (c *watchdogConn) disarm() {
	c.armed.Store(false)
	c.apply()
}
