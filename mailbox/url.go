package mailbox

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ParseURL reads imaps://USER@HOST[:PORT]/FOLDER (implicit TLS, 993) or
// imap://USER@HOST[:PORT]/FOLDER (STARTTLS, 143; plaintext only with
// plaintext set (the user asked for it), and then only to a loopback
// address: the password would cross the network unprotected).
func ParseURL(raw string, plaintext bool) (Account, string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User == nil || u.User.Username() == "" {
		return Account{}, "", fmt.Errorf("%q is not imaps://USER@HOST[:PORT]/FOLDER", raw)
	}
	if _, set := u.User.Password(); set {
		return Account{}, "", errors.New("do not put the password in the URL (it would land in shell history); use SEALTRACE_IMAP_PASSWORD")
	}
	a := Account{Username: u.User.Username()}
	port := u.Port()
	switch u.Scheme {
	case "imaps":
		a.Security = ImplicitTLS
		if port == "" {
			port = "993"
		}
	case "imap":
		a.Security = StartTLS
		if plaintext {
			a.Security = Plaintext
			if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
				return Account{}, "", errors.New("plaintext is allowed only to a loopback address: the password would cross the network unprotected")
			}
		}
		if port == "" {
			port = "143"
		}
	default:
		return Account{}, "", fmt.Errorf("the scheme must be imaps or imap, not %q", u.Scheme)
	}
	a.Server = net.JoinHostPort(u.Hostname(), port)
	folder := strings.TrimPrefix(u.Path, "/")
	if folder == "" {
		folder = "INBOX"
	}
	return a, folder, nil
}
