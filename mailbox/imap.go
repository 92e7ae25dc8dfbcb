package mailbox

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

// IMAP access, read-only by construction: this type offers folder listing,
// EXAMINE (never SELECT) and fetches with BODY.PEEK (never a plain BODY,
// which sets \Seen); it has no way to STORE, COPY, MOVE, EXPUNGE, APPEND,
// CREATE or DELETE. go-imap's DebugWriter is only ever the nestingGuard,
// which logs and keeps nothing (a logging writer would log the password).
//
// A server is hostile data like a message. What it can make us hold or
// wait for is bounded on what actually arrives, never on what it
// announces: each command's answer by MaxCommandBytes (counted under TLS,
// by the watchdog), each message by MaxMessageBytes (read as it streams),
// silence by IOTimeout, and the whole connection by the caller's context.

// Security is how the connection is protected.
type Security string

const (
	ImplicitTLS Security = "tls"      // port 993
	StartTLS    Security = "starttls" // port 143, upgraded before login
	Plaintext   Security = "plain"    // only when the user asks for it
)

// Account is where and how to connect.
type Account struct {
	Server   string // host:port
	Security Security
	Username string
	Password string `json:"-"`
	// PinnedSHA256 accepts a certificate that does not verify when its
	// SHA-256 fingerprint (hex) is this one: set only by an explicit user
	// action, stored with the account.
	PinnedSHA256 string
	// RootCAs replaces the system's roots (tests, private CAs).
	RootCAs *x509.CertPool
	Timeout time.Duration // dial timeout; 15 s when zero
	// IOTimeout is how long the server may stay silent while a command
	// waits for its answer (DefaultIOTimeout when zero); then the command
	// fails and the Fetcher reconnects.
	IOTimeout time.Duration
	// SASL, when set, makes the client for AUTHENTICATE (XOAUTH2,
	// OAUTHBEARER ...); else PLAIN or LOGIN with Username and Password.
	SASL func() sasl.Client `json:"-"`
	// MaxMessageBytes bounds one message fetched (MaxMessageBytes when
	// zero), counted on the bytes received, whatever size the server
	// announced in RFC822.SIZE or in the literal's {n}.
	MaxMessageBytes int64 `json:"-"`
	// MaxCommandBytes bounds everything the server sends in answer to one
	// command, untagged responses included (DefaultCommandBytes when zero):
	// what a server can make us hold, and how long it can keep us reading.
	MaxCommandBytes int64 `json:"-"`
}

// DefaultCommandBytes is what one command's answer may carry: one message
// of MaxMessageBytes and room for the protocol around it. Batches of
// messages are formed by BatchLen to stay below DefaultBatchBytes.
const DefaultCommandBytes = MaxMessageBytes + 32<<20

// DefaultBatchBytes is the announced size of the messages fetched in one
// command (see BatchLen).
const DefaultBatchBytes = 32 << 20

// ErrServerTooMuch is returned when a server sends more than
// MaxCommandBytes in answer to one command: the connection is closed, and
// nothing is retried (the same server would do it again).
var ErrServerTooMuch = errors.New("mailbox: the server sent more than allowed in answer to one command; the connection was closed")

// BatchLen is how many of list's first messages to fetch in one command:
// at most maxCount, and at most maxBytes by their announced sizes (but at
// least one). The announced size is only a plan: the bytes received are
// checked against MaxMessageBytes and MaxCommandBytes.
func BatchLen(list []MessageInfo, maxCount int, maxBytes int64) int {
	var total int64
	for i, mi := range list {
		total += max(mi.Size, 0)
		if i == maxCount || (i > 0 && total > maxBytes) {
			return i
		}
	}
	return len(list)
}

// Key is the name an account's password (in the keyring or the password
// file) and its cache entries are kept under: the app and the CLI share it.
func (a Account) Key() string { return a.Username + "@" + a.Server }

// DefaultIOTimeout is the silence allowed while a command is answered.
const DefaultIOTimeout = 60 * time.Second

// Connection errors, by the step that failed, so that "Test connection" can
// say exactly what went wrong.
var (
	ErrDNS       = errors.New("mailbox: the server name does not resolve")
	ErrConnect   = errors.New("mailbox: cannot connect to the server")
	ErrTLS       = errors.New("mailbox: the TLS handshake failed")
	ErrLogin     = errors.New("mailbox: the server rejected the login")
	ErrPlaintext = errors.New("mailbox: plaintext IMAP sends the password unprotected; it must be asked for explicitly")
)

// CertError is a certificate that does not verify. Nothing is accepted
// silently: the user sees the fingerprint and subject and may pin it.
type CertError struct {
	Host        string
	Fingerprint string // SHA-256, hex
	Subject     string
	Err         error
}

func (e *CertError) Error() string {
	return fmt.Sprintf("mailbox: the certificate of %s is not trusted (%v); subject %q, SHA-256 fingerprint %s: pin it only if you know it is the server's",
		e.Host, e.Err, e.Subject, e.Fingerprint)
}

// IMAP is a read-only connection.
type IMAP struct {
	c        *imapclient.Client
	wd       *watchdogConn
	guard    *nestingGuard
	ctx      context.Context
	stop     func() bool // ends the watch on ctx
	msgLimit int64
	cmdLimit int64
}

// do runs one command with the watchdog armed and the command's byte
// budget set.
func (m *IMAP) do(cmd func() error) error {
	m.wd.arm(m.cmdLimit)
	defer m.wd.disarm()
	err := cmd()
	switch {
	case m.wd.exceeded():
		return fmt.Errorf("%w (%d MiB)", ErrServerTooMuch, m.cmdLimit>>20)
	case m.guard.tripped.Load():
		return errNesting
	case err != nil && m.ctx.Err() != nil:
		return fmt.Errorf("mailbox: %w", m.ctx.Err())
	}
	return err
}

// Abort closes the connection at once, from any goroutine: a command
// waiting for its answer fails. This is how Cancel stops a fetch.
func (m *IMAP) Abort() { m.wd.Conn.Close() }

// Folder is one mailbox of the account.
type Folder struct {
	Name  string
	Delim string
	Attrs []string // \Sent, \Trash, \Noselect ...
}

// FolderState is what EXAMINE reports.
type FolderState struct {
	UIDValidity uint32
	Messages    uint32
	UIDNext     uint32
}

// MessageInfo is one message's list data.
type MessageInfo struct {
	UID     uint32
	Flags   []string
	Subject string
	From    string
	Date    time.Time
	Size    int64
	Header  []byte // BODY.PEEK[HEADER]
}

// Connect dials, secures and logs in. The connection lives within ctx: when
// ctx ends it is closed, and the command under way (or the connection
// itself) fails at once.
func Connect(ctx context.Context, a Account) (*IMAP, error) { return connect(ctx, a, nil) }

func connect(ctx context.Context, a Account, handler *imapclient.UnilateralDataHandler) (*IMAP, error) {
	host, _, err := net.SplitHostPort(a.Server)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %q is not HOST:PORT", a.Server)
	}
	timeout := a.Timeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	ioTimeout := a.IOTimeout
	if ioTimeout == 0 {
		ioTimeout = DefaultIOTimeout
	}
	var certErr *CertError
	tlsConfig := &tls.Config{
		ServerName: host,
		// Verification is done below so that an untrusted certificate can
		// be reported with its fingerprint, or accepted when pinned.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			certErr = verifyCert(cs, host, a.RootCAs, a.PinnedSHA256)
			if certErr != nil {
				return certErr
			}
			return nil
		},
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"imap"},
	}
	guard := &nestingGuard{}
	opts := &imapclient.Options{UnilateralDataHandler: handler, TLSConfig: tlsConfig, DebugWriter: guard}
	if a.Security != ImplicitTLS && a.Security != "" && a.Security != StartTLS && a.Security != Plaintext {
		return nil, fmt.Errorf("mailbox: unknown security %q", a.Security)
	}
	// The connection is dialled here, not by go-imap, so that the watchdog
	// sits under TLS and sees every read.
	raw, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", a.Server)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("mailbox: %w", ctx.Err())
		}
		return nil, classifyDial(err, nil)
	}
	m := &IMAP{ctx: ctx, msgLimit: a.MaxMessageBytes, cmdLimit: a.MaxCommandBytes}
	if m.msgLimit <= 0 {
		m.msgLimit = MaxMessageBytes
	}
	if m.cmdLimit <= 0 {
		m.cmdLimit = DefaultCommandBytes
	}
	// Closing the connection is the one way to stop go-imap, which takes no
	// context.
	m.stop = context.AfterFunc(ctx, func() { raw.Close() })
	ok := false
	defer func() {
		if !ok {
			m.stop()
			raw.Close()
		}
	}()
	wd := &watchdogConn{Conn: raw, timeout: ioTimeout}
	wd.arm(loginBytes) // greeting, TLS and login are answers too
	var c *imapclient.Client
	switch a.Security {
	case ImplicitTLS, "":
		tc := tls.Client(wd, tlsConfig)
		if err = tc.HandshakeContext(ctx); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("mailbox: %w", ctx.Err())
			}
			return nil, classifyDial(err, certErr)
		}
		c = imapclient.New(tc, opts)
	case StartTLS:
		if c, err = imapclient.NewStartTLS(wd, opts); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("mailbox: %w", ctx.Err())
			}
			return nil, classifyDial(err, certErr)
		}
	case Plaintext:
		c = imapclient.New(wd, opts)
	}
	if err := authenticate(c, a); err != nil {
		c.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("mailbox: %w", ctx.Err())
		}
		if wd.exceeded() {
			return nil, fmt.Errorf("%w (%d KiB before the login ended)", ErrServerTooMuch, loginBytes>>10)
		}
		if guard.tripped.Load() {
			return nil, errNesting
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("%w: the server stopped answering (%v)", ErrConnect, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrLogin, err)
	}
	wd.disarm()
	m.c, m.wd, m.guard, ok = c, wd, guard, true
	return m, nil
}

// loginBytes bounds what the server may send before the login ends
// (greeting, capabilities, TLS handshake).
const loginBytes = 1 << 20

// authenticate logs in: with the account's own SASL mechanism when it has
// one (the place for XOAUTH2 or OAUTHBEARER), else AUTHENTICATE PLAIN when
// the server offers it, else LOGIN.
func authenticate(c *imapclient.Client, a Account) error {
	if a.SASL != nil {
		return c.Authenticate(a.SASL())
	}
	caps, err := c.Capability().Wait()
	if err != nil {
		return err
	}
	if caps.Has(imap.AuthCap(sasl.Plain)) {
		return c.Authenticate(sasl.NewPlainClient("", a.Username, a.Password))
	}
	if caps.Has(imap.CapLoginDisabled) {
		return errors.New("the server allows neither LOGIN nor AUTHENTICATE PLAIN on this connection")
	}
	return c.Login(a.Username, a.Password).Wait()
}

func verifyCert(cs tls.ConnectionState, host string, roots *x509.CertPool, pinned string) *CertError {
	if len(cs.PeerCertificates) == 0 {
		return &CertError{Host: host, Err: errors.New("no certificate")}
	}
	leaf := cs.PeerCertificates[0]
	sum := sha256.Sum256(leaf.Raw)
	fp := hex.EncodeToString(sum[:])
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter})
	if err == nil {
		return nil
	}
	if pinned != "" && strings.EqualFold(strings.ReplaceAll(pinned, ":", ""), fp) {
		return nil
	}
	return &CertError{Host: host, Fingerprint: fp, Subject: leaf.Subject.String(), Err: err}
}

func classifyDial(err error, certErr *CertError) error {
	if certErr != nil {
		return certErr
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Errorf("%w: %v", ErrDNS, err)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Errorf("%w: %v", ErrConnect, err)
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "STARTTLS"):
		return fmt.Errorf("%w: %v", ErrTLS, err)
	}
	return fmt.Errorf("%w: %v", ErrConnect, err)
}

// Close logs out and closes.
func (m *IMAP) Close() error {
	if m.ctx.Err() == nil {
		_ = m.do(func() error { return m.c.Logout().Wait() })
	}
	m.stop()
	return m.c.Close()
}

// Folders lists every folder.
func (m *IMAP) Folders() ([]Folder, error) {
	var list []*imap.ListData
	err := m.do(func() (err error) { list, err = m.c.List("", "*", nil).Collect(); return err })
	if err != nil {
		return nil, err
	}
	out := make([]Folder, 0, len(list))
	for _, l := range list {
		f := Folder{Name: l.Mailbox}
		if l.Delim != 0 {
			f.Delim = string(l.Delim)
		}
		for _, a := range l.Attrs {
			f.Attrs = append(f.Attrs, string(a))
		}
		out = append(out, f)
	}
	return out, nil
}

// Examine opens a folder read-only (EXAMINE, RFC 3501 6.3.2); the
// connection's context bounds it.
func (m *IMAP) Examine(folder string) (FolderState, error) {
	var d *imap.SelectData
	err := m.do(func() (err error) {
		d, err = m.c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
		return err
	})
	if err != nil {
		return FolderState{}, err
	}
	return FolderState{UIDValidity: d.UIDValidity, Messages: d.NumMessages, UIDNext: uint32(d.UIDNext)}, nil
}

// List returns the list data of the messages with UIDs from..to (to = 0:
// up to the last), with BODY.PEEK[HEADER].
func (m *IMAP) List(from, to uint32) ([]MessageInfo, error) {
	var set imap.UIDSet
	set.AddRange(imap.UID(from), imap.UID(to))
	return m.list(set)
}

// ListUIDs returns the list data of the given messages.
func (m *IMAP) ListUIDs(uids []uint32) ([]MessageInfo, error) {
	return m.list(uidSet(uids))
}

func uidSet(uids []uint32) imap.UIDSet {
	var set imap.UIDSet
	for _, u := range uids {
		set.AddNum(imap.UID(u))
	}
	return set
}

func (m *IMAP) list(set imap.UIDSet) ([]MessageInfo, error) {
	header := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	var msgs []*imapclient.FetchMessageBuffer
	err := m.do(func() (err error) {
		msgs, err = m.c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true, Envelope: true, RFC822Size: true,
			BodySection: []*imap.FetchItemBodySection{header}}).Collect()
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]MessageInfo, 0, len(msgs))
	for _, msg := range msgs {
		mi := MessageInfo{UID: uint32(msg.UID), Size: msg.RFC822Size, Header: msg.FindBodySection(header)}
		for _, f := range msg.Flags {
			mi.Flags = append(mi.Flags, string(f))
		}
		if e := msg.Envelope; e != nil {
			mi.Subject, mi.Date = e.Subject, e.Date
			if len(e.From) > 0 {
				mi.From = e.From[0].Addr()
			}
		}
		out = append(out, mi)
	}
	return out, nil
}

// Messages fetches several whole messages in one command (BODY.PEEK[]).
// Each message is read as it arrives, up to MaxMessageBytes received: a
// server that announces a small size and sends more (or an endless
// literal) gets ErrTooLarge and a closed connection, never our memory. A
// message with a UID not asked for is not ours (go-imap passes it to no
// command); one without its UID before the body is dropped.
func (m *IMAP) Messages(uids []uint32) (map[uint32][]byte, error) {
	set := uidSet(uids)
	section := &imap.FetchItemBodySection{Peek: true}
	out := make(map[uint32][]byte, len(uids))
	err := m.do(func() error {
		cmd := m.c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			var uid uint32
			var body []byte
			for item := msg.Next(); item != nil; item = msg.Next() {
				switch it := item.(type) {
				case imapclient.FetchItemDataUID:
					uid = uint32(it.UID)
				case imapclient.FetchItemDataBodySection:
					if it.Literal == nil {
						continue
					}
					b, err := io.ReadAll(io.LimitReader(it.Literal, m.msgLimit+1))
					if err == nil && int64(len(b)) > m.msgLimit {
						err = fmt.Errorf("%w: the server sent more than %d MiB for UID %d (it announced %d bytes)", ErrTooLarge, m.msgLimit>>20, uid, it.Literal.Size())
					}
					if err != nil {
						// The rest of the literal is not read: the
						// connection closes, which also ends go-imap's
						// reader, waiting for the literal to be consumed.
						m.Abort()
						io.Copy(io.Discard, it.Literal)
						cmd.Close()
						return err
					}
					body = b
				}
			}
			if uid != 0 && body != nil {
				out[uid] = body
			}
		}
		return cmd.Close()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UIDsSince returns the UIDs of the messages that arrived on or after the
// day of since (SEARCH SINCE compares the server's arrival date, by day).
func (m *IMAP) UIDsSince(since time.Time) ([]uint32, error) {
	var d *imap.SearchData
	err := m.do(func() (err error) {
		d, err = m.c.UIDSearch(&imap.SearchCriteria{Since: since}, nil).Wait()
		return err
	})
	if err != nil {
		return nil, err
	}
	return sortedUIDs(d)
}

// MaxFolderUIDs bounds how many UIDs a SEARCH answer may name: an ESEARCH
// answer of a few bytes ("ALL 1:4000000000") would otherwise expand into
// gigabytes.
const MaxFolderUIDs = 5_000_000

// ErrTooManyUIDs is what a SEARCH answer naming more than MaxFolderUIDs
// messages gives.
var ErrTooManyUIDs = fmt.Errorf("mailbox: the server's SEARCH answer names more than %d messages", MaxFolderUIDs)

// uidCount is how many UIDs d names, counted from its ranges without
// expanding them; a range open at "*" counts as too many.
func uidCount(d *imap.SearchData) (uint64, error) {
	set, ok := d.All.(imap.UIDSet)
	if !ok {
		return 0, nil // nothing, or sequence numbers (not asked for)
	}
	var n uint64
	for _, r := range set {
		if r.Stop == 0 || r.Start == 0 || r.Stop < r.Start {
			return 0, ErrTooManyUIDs
		}
		n += uint64(r.Stop-r.Start) + 1
		if n > MaxFolderUIDs {
			return 0, ErrTooManyUIDs
		}
	}
	return n, nil
}

func sortedUIDs(d *imap.SearchData) ([]uint32, error) {
	if _, err := uidCount(d); err != nil {
		return nil, err
	}
	var out []uint32
	for _, u := range d.AllUIDs() {
		out = append(out, uint32(u))
	}
	slices.Sort(out)
	return out, nil
}

// UIDs returns the UIDs of the examined folder's messages, in order, and
// how many of them are unread (UID SEARCH ALL, UID SEARCH UNSEEN: searching
// changes nothing).
func (m *IMAP) UIDs() (all []uint32, unread int, err error) {
	var allData, unseenData *imap.SearchData
	err = m.do(func() (err error) {
		// One after the other: untagged SEARCH answers do not say which
		// command they answer.
		if allData, err = m.c.UIDSearch(&imap.SearchCriteria{}, nil).Wait(); err != nil {
			return err
		}
		unseenData, err = m.c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	unseen, err := uidCount(unseenData)
	if err != nil {
		return nil, 0, err
	}
	all, err = sortedUIDs(allData)
	return all, int(unseen), err
}

// Unread counts the unread messages of each folder (STATUS UNSEEN; the
// commands are pipelined). A folder the server refuses is left out.
func (m *IMAP) Unread(folders []string) (map[string]int, error) {
	out := map[string]int{}
	err := m.do(func() error {
		cmds := make([]*imapclient.StatusCommand, len(folders))
		for i, f := range folders {
			cmds[i] = m.c.Status(f, &imap.StatusOptions{NumUnseen: true})
		}
		for i, c := range cmds {
			d, err := c.Wait()
			var ierr *imap.Error
			switch {
			case errors.As(err, &ierr):
				continue // e.g. a folder that cannot be selected
			case err != nil:
				return err
			}
			if d.NumUnseen != nil {
				out[folders[i]] = int(*d.NumUnseen)
			}
		}
		return nil
	})
	return out, err
}
