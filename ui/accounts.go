package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/resolver"
)

// IMAP accounts: kept in the preferences without their passwords, which go
// to the credentials store (the OS keyring, or memory for this session).

const prefAccounts = "imap.accounts"

// savedAccount is an account as stored (no password).
type savedAccount struct {
	Server   string           `json:"server"`
	Security mailbox.Security `json:"security"`
	Username string           `json:"username"`
	Pinned   string           `json:"pinned_sha256,omitempty"`
	// Folders as last listed, so that they can be opened from the cache
	// when the server cannot be reached.
	Folders []string `json:"folders,omitempty"`
}

func (s savedAccount) key() string {
	return mailbox.Account{Username: s.Username, Server: s.Server}.Key()
}

// folderSource is a folder's name in the sidebar (and its entries' source).
func folderSource(accountKey, folder string) string { return accountKey + ": " + folder }

func (u *UI) savedAccounts() []savedAccount {
	var out []savedAccount
	_ = json.Unmarshal([]byte(u.app.Preferences().String(prefAccounts)), &out)
	return out
}

func (u *UI) saveAccount(a savedAccount) {
	list := u.savedAccounts()
	for i, x := range list {
		if x.key() == a.key() {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	list = append(list, a)
	b, _ := json.Marshal(list)
	u.app.Preferences().SetString(prefAccounts, string(b))
}

// account makes the connection settings of a saved account.
func (u *UI) account(s savedAccount) (mailbox.Account, error) {
	pass, err := u.accounts.creds.Get(s.key())
	if err != nil {
		return mailbox.Account{}, fmt.Errorf("%s: %w (add the account again)", s.key(), err)
	}
	return mailbox.Account{Server: s.Server, Security: s.Security, Username: s.Username, Password: pass, PinnedSHA256: s.Pinned, RootCAs: u.accounts.imapRoots}, nil
}

// addAccount stores an account, then lists its folders in the sidebar
// (UI goroutine; the listing runs in the background).
func (u *UI) addAccount(s savedAccount, password string) error {
	if err := u.accounts.creds.Set(s.key(), password); err != nil {
		return err
	}
	u.saveAccount(s)
	u.listFolders(s)
	return nil
}

// sealedPath is the passphrase-encrypted password file, used only when
// there is no OS keyring and the user asks for it.
func (u *UI) sealedPath() string {
	return filepath.Join(u.app.Storage().RootURI().Path(), "imap-passwords.sealed")
}

// sealPassword keeps an account's password in the encrypted file as well
// as for this session (off the UI goroutine: the key derivation takes a
// moment and 64 MiB).
func (u *UI) sealPassword(account, password string, passphrase []byte) error {
	f := &mailbox.EncryptedFile{Path: u.sealedPath(), Passphrase: passphrase}
	return f.Set(account, password)
}

// unlockSealed reads the encrypted password file into this session's
// store (off the UI goroutine).
func (u *UI) unlockSealed(passphrase []byte) (int, error) {
	f := &mailbox.EncryptedFile{Path: u.sealedPath(), Passphrase: passphrase}
	all, err := f.All()
	if err != nil {
		return 0, err
	}
	for acct, pw := range all {
		if err := u.accounts.creds.Set(acct, pw); err != nil {
			return 0, err
		}
	}
	return len(all), nil
}

// askUnlock asks, at start, for the passphrase of the password file; the
// accounts are listed once it opens (or read from the cache without it).
func (u *UI) askUnlock(accounts []savedAccount) {
	pass := widget.NewPasswordEntry()
	dialog.ShowForm("Unlock the saved IMAP passwords", "Unlock", "Not now", []*widget.FormItem{
		widget.NewFormItem("Passphrase", pass),
	}, func(ok bool) {
		if !ok {
			for _, s := range accounts {
				u.listFolders(s) // offline: folders from the cache
			}
			return
		}
		pp := []byte(pass.Text)
		go func() {
			_, err := u.unlockSealed(pp)
			clear(pp)
			u.post(func() {
				if err != nil {
					dialog.ShowError(err, u.win)
				}
				for _, s := range accounts {
					u.listFolders(s)
				}
			})
		}()
	}, u.win)
}

// listFolders connects and shows the account's folders as sources.
func (u *UI) listFolders(s savedAccount) {
	go func() {
		a, err := u.account(s)
		var folders []mailbox.Folder
		var unread map[string]int
		if err == nil {
			var m *mailbox.IMAP
			if m, err = mailbox.Connect(context.Background(), a); err == nil {
				folders, err = m.Folders()
				if err == nil {
					var names []string
					for _, f := range folders {
						if !hasAttr(f.Attrs, `\Noselect`) && !hasAttr(f.Attrs, `\NonExistent`) {
							names = append(names, f.Name)
						}
					}
					unread, _ = m.Unread(names) // counts are a nicety: a server refusing STATUS still lists
				}
				m.Close()
			}
		}
		u.post(func() {
			if err != nil {
				// Offline: the folders as last listed, to be read from the cache.
				for _, f := range s.Folders {
					name := u.addFolderSource(s, f)
					u.accounts.folderInfo[name] = folderInfo{offline: true}
				}
				u.sourceList.Refresh()
				u.status.SetText("IMAP " + s.key() + ": " + err.Error() + " (offline)")
				return
			}
			s.Folders = nil
			for _, f := range folders {
				if hasAttr(f.Attrs, `\Noselect`) || hasAttr(f.Attrs, `\NonExistent`) {
					continue
				}
				s.Folders = append(s.Folders, f.Name)
				name := u.addFolderSource(s, f.Name)
				if n, ok := unread[f.Name]; ok {
					u.accounts.folderInfo[name] = folderInfo{unread: n, known: true}
				}
			}
			u.saveAccount(s)
			u.sourceList.Refresh()
			u.status.SetText(fmt.Sprintf("IMAP %s: %d folders", s.key(), len(folders)))
		})
	}()
}

// addFolderSource puts a folder in the sidebar once (UI goroutine).
func (u *UI) addFolderSource(s savedAccount, folder string) string {
	name := folderSource(s.key(), folder)
	if _, ok := u.accounts.folders[name]; !ok {
		u.accounts.folders[name] = folderRef{account: s, folder: folder}
		u.sources = append(u.sources, name)
	}
	return name
}

func hasAttr(attrs []string, a string) bool {
	for _, x := range attrs {
		if strings.EqualFold(x, a) {
			return true
		}
	}
	return false
}

// folderRef is a folder shown in the sidebar; loaded once opened.
type folderRef struct {
	account savedAccount
	folder  string
	loaded  bool
}

// openFolder loads a folder's messages the first time it is chosen, and
// again when it was read offline (the server may be back).
func (u *UI) openFolder(name string, done chan struct{}) {
	ref, ok := u.accounts.folders[name]
	if !ok || (ref.loaded && !u.accounts.folderInfo[name].offline) {
		return
	}
	if ref.loaded {
		var old []*entry
		for _, e := range u.entries {
			if e.source == name {
				old = append(old, e)
			}
		}
		u.removeEntries(old) // the cache's rows come again, with what the server has now
	}
	ref.loaded = true
	u.accounts.folders[name] = ref
	u.startLoad(name, func(ctx context.Context, l *loader) {
		a, err := u.account(ref.account) // the keyring may take a while: not on the UI goroutine
		if err != nil {
			// No password: the folder as the cache has it, without the server.
			a = mailbox.Account{Server: ref.account.Server, Security: ref.account.Security, Username: ref.account.Username}
			l.noServer = err
		}
		l.onFolderOpen = func(r *folderRead, uidNext uint32) { go u.watch(name, r, uidNext-1) }
		l.loadIMAP(ctx, a, ref.folder)
	}, done)
}

// watch keeps the folder in IDLE and adds each message that arrives, once
// inspected (and kept in the cache with its report, like the rest of the
// folder), until the window closes. A dropped watch is retried with a
// growing pause.
func (u *UI) watch(name string, r *folderRead, after uint32) {
	wait := time.Second
	for u.watchCtx.Err() == nil {
		err := mailbox.Watch(u.watchCtx, r.acct, r.folder, r.validity, after, func(uid uint32, raw []byte) {
			after = uid
			e := &entry{source: name, uid: uid, size: int64(len(raw))}
			e.date, e.from, e.subject, e.note = quickHeader(raw)
			rep, plain := r.inspect(e, raw)
			r.kept(r.cache.Put(r.key(), r.folder, r.validity, uid, raw))
			r.kept(r.save(uid, row(e, false, rep, time.Now()), rep))
			r.setIMAP(e, raw)
			u.post(func() {
				n := 0
				for _, x := range u.entries {
					if x.source == name {
						n = max(n, x.index)
					}
				}
				e.index = n + 1
				rep.Source = fmt.Sprintf("%s#%d", name, e.index)
				e.setReport(rep, plain)
				u.addEntries([]*entry{e})
				u.status.SetText("New message in " + name + ": " + e.subject)
			})
		})
		if u.watchCtx.Err() != nil {
			return
		}
		u.post(func() { u.status.SetText("IDLE on " + name + " stopped (" + err.Error() + "); retrying") })
		select {
		case <-u.watchCtx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Minute)
	}
}

// addAccountDialog asks for the account, suggests the server from DNS
// (RFC 6186 SRV records) and tests the connection step by step.
func (u *UI) addAccountDialog() {
	addr := widget.NewEntry()
	addr.SetPlaceHolder("you@example.com")
	server := widget.NewEntry()
	server.SetPlaceHolder("imap.example.com:993")
	security := widget.NewSelect([]string{"TLS (port 993)", "STARTTLS (port 143)", "Plaintext (unsafe)"}, nil)
	security.SetSelected("TLS (port 993)")
	user := widget.NewEntry()
	pass := widget.NewPasswordEntry()
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	// Without an OS keyring: this session only, or a passphrase-encrypted file.
	keep := widget.NewSelect([]string{keepSession, keepSealed}, nil)
	keep.SetSelected(keepSession)
	sealPass := widget.NewPasswordEntry()
	sealPass.SetPlaceHolder("passphrase for the password file")
	sealPass.Hide()
	keep.OnChanged = func(s string) {
		if s == keepSealed {
			sealPass.Show()
		} else {
			sealPass.Hide()
		}
	}
	_, noKeyring := u.accounts.creds.(*mailbox.Memory)
	var pinned string
	pin := widget.NewCheck("Trust this certificate (pin its fingerprint)", nil)
	pin.Hide()
	sec := func() mailbox.Security {
		switch {
		case strings.HasPrefix(security.Selected, "STARTTLS"):
			return mailbox.StartTLS
		case strings.HasPrefix(security.Selected, "Plaintext"):
			return mailbox.Plaintext
		}
		return mailbox.ImplicitTLS
	}
	current := func() savedAccount {
		s := savedAccount{Server: strings.TrimSpace(server.Text), Security: sec(), Username: strings.TrimSpace(user.Text)}
		if s.Username == "" {
			s.Username = strings.TrimSpace(addr.Text)
		}
		if pin.Checked {
			s.Pinned = pinned
		}
		return s
	}
	suggest := widget.NewButton("Suggest from DNS", func() {
		email := strings.TrimSpace(addr.Text)
		status.SetText("Looking up the SRV records of " + email + "…")
		go func() {
			src, err := u.config(nil).DNSResolver()
			var sugg []mailbox.Suggestion
			if err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				sugg, err = mailbox.SuggestIMAP(ctx, resolver.NewRecorder(src, nil), email)
				cancel()
			}
			u.post(func() {
				switch {
				case err != nil:
					status.SetText("DNS: " + err.Error())
				case len(sugg) == 0:
					status.SetText("The domain publishes no IMAP SRV record: enter the server yourself.")
				default:
					server.SetText(sugg[0].Server)
					if sugg[0].Security == mailbox.StartTLS {
						security.SetSelected("STARTTLS (port 143)")
					}
					msg := "Suggested by DNS: " + sugg[0].Record
					if sugg[0].OutsideDomain { // RFC 6186 6
						msg += ". Warning: " + sugg[0].Warning
					}
					status.SetText(msg)
				}
			})
		}()
	})
	test := widget.NewButton("Test connection", func() {
		s := current()
		password := pass.Text
		status.SetText("Connecting to " + s.Server + "…")
		go func() {
			a := mailbox.Account{Server: s.Server, Security: s.Security, Username: s.Username, Password: password, PinnedSHA256: s.Pinned, RootCAs: u.accounts.imapRoots}
			msg, ce := testConnection(a)
			u.post(func() {
				status.SetText(msg)
				if ce != nil {
					pinned = ce.Fingerprint
					pin.Show()
				}
			})
		}()
	})
	fields := widget.NewForm(widget.NewFormItem("Address", addr), widget.NewFormItem("Server", server), widget.NewFormItem("Security", security),
		widget.NewFormItem("User name", user), widget.NewFormItem("Password", pass))
	if noKeyring {
		fields.Append("Keep the password", container.NewVBox(keep, sealPass))
	} else {
		fields.Append("Keep the password", widget.NewLabel("in "+u.accounts.creds.Where()))
	}
	form := container.NewVBox(
		fields,
		container.NewHBox(suggest, test), pin, status,
		widget.NewLabel("Sealtrace opens folders read-only (EXAMINE, BODY.PEEK): it never changes, moves or marks a message."))
	d := dialog.NewCustomConfirm("Add an IMAP account", "Add", "Cancel", form, func(ok bool) {
		if !ok {
			return
		}
		s := current()
		if s.Security == mailbox.Plaintext {
			dialog.ShowInformation("Plaintext IMAP", "This account sends its password and mail unencrypted.", u.win)
		}
		if err := u.addAccount(s, pass.Text); err != nil {
			dialog.ShowError(err, u.win)
			return
		}
		if noKeyring && keep.Selected == keepSealed {
			password, pp := pass.Text, []byte(sealPass.Text)
			go func() {
				err := u.sealPassword(s.key(), password, pp)
				clear(pp)
				if err != nil {
					u.post(func() { dialog.ShowError(err, u.win) })
				}
			}()
		}
	}, u.win)
	d.Resize(fyne.NewSize(640, 520))
	d.Show()
}

const (
	keepSession = "For this session only"
	keepSealed  = "In a file encrypted with a passphrase"
)

// testConnection says which step worked or failed: DNS, TCP, TLS,
// certificate, login.
// A certificate that does not verify is returned too, so that it can be pinned.
func testConnection(a mailbox.Account) (string, *mailbox.CertError) {
	m, err := mailbox.Connect(context.Background(), a)
	var ce *mailbox.CertError
	switch {
	case err == nil:
		folders, ferr := m.Folders()
		m.Close()
		if ferr != nil {
			return "Logged in, but the folders could not be listed: " + ferr.Error(), nil
		}
		return fmt.Sprintf("Connected and logged in: %d folders.", len(folders)), nil
	case errors.As(err, &ce):
		return fmt.Sprintf("Certificate: not trusted (%v). Subject %s, SHA-256 %s. Pin it only if you know it is your server's.", ce.Err, ce.Subject, ce.Fingerprint), ce
	case errors.Is(err, mailbox.ErrDNS):
		return "DNS: the server name does not resolve. " + err.Error(), nil
	case errors.Is(err, mailbox.ErrConnect):
		return "TCP: cannot connect (wrong port, or a firewall). " + err.Error(), nil
	case errors.Is(err, mailbox.ErrTLS):
		return "TLS: the handshake failed (wrong security setting for this port?). " + err.Error(), nil
	case errors.Is(err, mailbox.ErrLogin):
		return "Login: the server rejected the user name or password.", nil
	}
	return err.Error(), nil
}
