package ui

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/dane"
	"github.com/sealtrace/sealtrace/pgp"
)

// keyStore is the app's OpenPGP keyring: one armored file per imported key
// block in the app's data folder, with a note of where it came from. Private
// keys stay encrypted as they were imported; no passphrase is ever stored.
type keyStore struct{ dir string }

type storedKey struct {
	file   string
	source string
	keys   []pgp.KeyInfo
}

func newKeyStore(dir string) *keyStore { return &keyStore{dir: dir} }

// add stores an armored key block, after checking it parses.
func (s *keyStore) add(armored []byte, source string) (string, error) {
	kr, err := pgp.ReadKeyring(strings.NewReader(string(armored)))
	if err != nil {
		return "", err
	}
	ks := kr.Keys()
	if len(ks) == 0 {
		return "", fmt.Errorf("no key in what was given")
	}
	// On Windows the mode bits do nothing: the folder is in the app's
	// storage in the user's profile (%AppData%), whose ACL keeps other users
	// out (see mailbox.Cache).
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return "", err
	}
	name := filepath.Join(s.dir, ks[0].Fingerprint+".asc")
	if err := os.WriteFile(name, armored, 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(strings.TrimSuffix(name, ".asc")+".source", []byte(source), 0o600); err != nil {
		return "", err
	}
	return ks[0].Fingerprint, nil
}

// list returns the stored blocks, by fingerprint.
func (s *keyStore) list() []storedKey {
	files, _ := filepath.Glob(filepath.Join(s.dir, "*.asc"))
	sort.Strings(files)
	var out []storedKey
	for _, f := range files {
		kr, err := pgp.LoadKeyring(f)
		if err != nil {
			continue
		}
		src, _ := os.ReadFile(strings.TrimSuffix(f, ".asc") + ".source")
		out = append(out, storedKey{file: f, source: string(src), keys: kr.Keys()})
	}
	return out
}

func (s *keyStore) remove(k storedKey) error {
	os.Remove(strings.TrimSuffix(k.file, ".asc") + ".source")
	return os.Remove(k.file)
}

// keyring loads every stored key.
func (s *keyStore) keyring() (*pgp.Keyring, error) {
	files, _ := filepath.Glob(filepath.Join(s.dir, "*.asc"))
	if len(files) == 0 {
		return nil, nil
	}
	return pgp.LoadKeyring(files...)
}

// keysDialog manages the keyring and looks keys up by address: DANE (with
// the chain of trust step by step) and WKD; a found key is imported with
// its source recorded.
func (u *UI) keysDialog() {
	list := widget.NewLabel("")
	list.Wrapping = fyne.TextWrapWord
	var refresh func()
	var stored []storedKey
	sel := widget.NewSelect(nil, nil)
	refresh = func() {
		stored = u.openpgp.keys.list()
		var lines, names []string
		for _, k := range stored {
			for _, ki := range k.keys {
				kind := "public"
				if ki.Secret {
					kind = "secret (locked)"
				}
				lines = append(lines, fmt.Sprintf("%s  %s  %s  from %s", ki.Fingerprint, strings.Join(ki.UserIDs, ", "), kind, orDash(k.source)))
			}
			names = append(names, filepath.Base(k.file))
		}
		if len(lines) == 0 {
			lines = []string{"No keys yet. Import a file, paste a key, or look one up below."}
		}
		list.SetText(strings.Join(lines, "\n"))
		sel.Options = names
		sel.ClearSelected()
		sel.Refresh()
	}
	refresh()
	importFile := widget.NewButton("Import file…", func() {
		dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			defer r.Close()
			data, err := readAllLimited(r)
			if err == nil {
				_, err = u.openpgp.keys.add(data, "file "+r.URI().Name())
			}
			if err != nil {
				dialog.ShowError(err, u.win)
			}
			refresh()
		}, u.win)
	})
	paste := widget.NewButton("Paste…", func() {
		e := widget.NewMultiLineEntry()
		e.SetMinRowsVisible(10)
		dialog.ShowCustomConfirm("Paste an armored key", "Import", "Cancel", e, func(ok bool) {
			if !ok {
				return
			}
			if _, err := u.openpgp.keys.add([]byte(e.Text), "pasted"); err != nil {
				dialog.ShowError(err, u.win)
			}
			refresh()
		}, u.win)
	})
	del := widget.NewButton("Delete", func() {
		for _, k := range stored {
			if filepath.Base(k.file) == sel.Selected {
				if err := u.openpgp.keys.remove(k); err != nil {
					dialog.ShowError(err, u.win)
				}
			}
		}
		refresh()
	})
	export := widget.NewButton("Export public…", func() {
		kr, err := u.openpgp.keys.keyring()
		if err != nil || kr == nil {
			dialog.ShowError(fmt.Errorf("no keys to export"), u.win)
			return
		}
		data, err := kr.PublicArmored()
		if err != nil {
			dialog.ShowError(err, u.win)
			return
		}
		fd := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				return
			}
			defer w.Close()
			w.Write(data)
		}, u.win)
		fd.SetFileName("sealtrace-public-keys.asc")
		fd.Show()
	})

	addr := widget.NewEntry()
	addr.SetPlaceHolder("address to look up, e.g. hugh@example.com")
	if u.selected != nil {
		addr.SetText(fromAddress(u.selected.from))
	}
	result := widget.NewRichText()
	result.Wrapping = fyne.TextWrapWord
	importFound := widget.NewButton("Import the key found", nil)
	importFound.Hide()
	lookup := widget.NewButton("Look up (DANE, WKD)", func() {
		email := strings.TrimSpace(addr.Text)
		showText(result, "Looking up "+email+"…")
		go func() {
			found, key, source := u.lookupKey(email)
			u.post(func() {
				found.show(result)
				if key != nil {
					importFound.OnTapped = func() {
						if _, err := u.openpgp.keys.add(key, source); err != nil {
							dialog.ShowError(err, u.win)
						}
						importFound.Hide()
						refresh()
					}
					importFound.Show()
				} else {
					importFound.Hide()
				}
			})
		}()
	})
	content := container.NewVBox(
		widget.NewLabelWithStyle("Your keyring", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), list,
		container.NewHBox(importFile, paste, export), container.NewBorder(nil, nil, nil, del, sel),
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Find a key", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, lookup, addr), importFound, result)
	d := dialog.NewCustom("Keys", "Close", container.NewVScroll(content), u.win)
	d.Resize(fyne.NewSize(900, 640))
	d.Show()
}

// lookupKey asks DANE (validated) and WKD for email's key. It returns the
// findings (user IDs, reasons and steps come from DNS and web servers: they
// are text, never Markdown), the best key found (armored) and its source.
func (u *UI) lookupKey(email string) (*doc, []byte, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := &doc{}
	var key []byte
	var source string
	d.subheading("DANE (OPENPGPKEY, RFC 7929)")
	v, err := u.config(nil).Validator()
	if err != nil {
		d.para(plain("Not looked up: " + err.Error()))
	} else {
		r := dane.Lookup(ctx, v, email)
		var fpr, reason *widget.TextSegment
		if r.KeyFingerprint != "" {
			fpr = plain(", key " + r.KeyFingerprint + " (" + strings.Join(r.KeyUserIDs, ", ") + ")")
		}
		if r.Reason != "" {
			reason = plain(" — " + r.Reason)
		}
		d.para(strong(r.Status), fpr, reason)
		for _, s := range r.Steps {
			d.item(stepRun(s), plain(" "+s.What))
		}
		// Only a key DNSSEC proved is offered: an imported key counts as the
		// user's (pgp.result pass), and an insecure answer could come from
		// anyone on the path.
		if r.Key != nil && r.Status == dane.StatusSecure {
			if a, err := pgp.ArmorKey(r.Key, r.KeyFingerprint); err == nil {
				key, source = a, "DANE ("+r.Status+")"
			}
		}
	}
	d.subheading("Web Key Directory")
	w := pgp.WKDLookup(ctx, u.httpClient(), email)
	var fpr, wkdErr *widget.TextSegment
	if w.KeyFingerprint != "" {
		fpr = plain(", key " + w.KeyFingerprint)
	}
	if w.Error != "" {
		wkdErr = plain(" — " + w.Error)
	}
	d.para(strong(w.Status), fpr, wkdErr)
	for _, s := range w.Steps {
		d.item(stepRun(s), plain(" "+s.What))
	}
	if key == nil && w.Status == pgp.WKDFound {
		if a, err := pgp.ArmorKey(w.Key, w.KeyFingerprint); err == nil {
			key, source = a, "WKD ("+w.Method+")"
		}
	}
	return d, key, source
}

// httpClient is for WKD; tests replace it.
func (u *UI) httpClient() *http.Client {
	if u.openpgp.wkdClient != nil {
		return u.openpgp.wkdClient
	}
	return &http.Client{Timeout: 15 * time.Second}
}

// fromAddress takes the address out of a From field's text.
func fromAddress(from string) string {
	if i := strings.LastIndexByte(from, '<'); i >= 0 {
		if j := strings.IndexByte(from[i:], '>'); j > 0 {
			return from[i+1 : i+j]
		}
	}
	return strings.TrimSpace(from)
}

// readAllLimited reads at most 16 MiB (no key file is larger).
func readAllLimited(r fyne.URIReadCloser) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, 16<<20))
}
