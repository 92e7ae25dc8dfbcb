package ui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/mailbox"
)

// Preference keys. Nothing secret is stored here.
const (
	prefDNSMode     = "dns.mode"
	prefDNSServer   = "dns.server"
	prefZoneFiles   = "dns.zonefiles"
	prefTrusted     = "trusted.authservids"
	prefTheme       = "theme"
	prefKeyFiles    = "pgp.keyfiles"
	prefTrustAnchor = "dnssec.anchor"
	prefPassMinutes = "pgp.passphrase.minutes"
	prefMaxBodyMB   = "imap.maxbody.mb"
)

// settingsDialog edits the DNS mode, the trusted authserv-ids and the theme.
// They apply to what is opened next; the demo always uses its own zone.
func (u *UI) settingsDialog() {
	p := u.app.Preferences()
	mode := widget.NewRadioGroup([]string{dnsSystem, dnsServer, dnsZones}, nil)
	mode.SetSelected(p.StringWithFallback(prefDNSMode, dnsSystem))
	server := widget.NewEntry()
	server.SetPlaceHolder("127.0.0.1:53")
	server.SetText(p.String(prefDNSServer))
	zones := widget.NewMultiLineEntry()
	zones.SetPlaceHolder("/path/to/example.org.zone")
	zones.SetText(p.String(prefZoneFiles))
	trusted := widget.NewEntry()
	trusted.SetPlaceHolder("mx.example.com mx2.example.com")
	trusted.SetText(p.String(prefTrusted))
	keyFiles := widget.NewMultiLineEntry()
	keyFiles.SetPlaceHolder("/path/to/keys.asc")
	keyFiles.SetText(p.String(prefKeyFiles))
	passMinutes := widget.NewEntry()
	passMinutes.SetText(strconv.Itoa(p.IntWithFallback(prefPassMinutes, 15)))
	anchor := widget.NewEntry()
	anchor.SetPlaceHolder("the IANA root anchors built in")
	anchor.SetText(p.String(prefTrustAnchor))
	maxBody := widget.NewEntry()
	maxBody.SetText(strconv.Itoa(p.IntWithFallback(prefMaxBodyMB, defaultMaxBody>>20)))
	th := widget.NewSelect([]string{"System", "Light", "Dark"}, nil)
	th.SetSelected(p.StringWithFallback(prefTheme, "System"))
	textSize := widget.NewSelect(textScales, nil)
	textSize.SetSelected(strconv.Itoa(p.IntWithFallback(prefTextScale, 100)) + "%")
	// Short labels and placeholders, the explanations below each field
	// (HintText): a long placeholder was cut at the field's width.
	item := func(label string, w fyne.CanvasObject, hint string) *widget.FormItem {
		it := widget.NewFormItem(label, w)
		it.HintText = hint
		return it
	}
	form := []*widget.FormItem{
		widget.NewFormItem("DNS", mode),
		item("DNS server", server, "address:port of the server asked when DNS is \""+dnsServer+"\""),
		item("Zone files", zones, "one path per line, read when DNS is \""+dnsZones+"\""),
		item("Trusted receivers", trusted, "authserv-ids, space separated; empty: the topmost Authentication-Results"),
		item("OpenPGP keys", keyFiles, "armored key files, one path per line"),
		item("DNSSEC trust anchor", anchor, "a root trust anchor file; empty: the IANA root anchors built into Sealtrace"),
		item("Passphrase kept (min)", passMinutes, "minutes before the passphrase is forgotten"),
		item("IMAP whole up to (MB)", maxBody, "larger messages are fetched as headers until chosen"),
		widget.NewFormItem("Theme", th),
		widget.NewFormItem("Text size", textSize),
	}
	d := dialog.NewForm("Settings", "Save", "Cancel", form, func(ok bool) {
		if !ok {
			return
		}
		dnsNow := func() string {
			return p.StringWithFallback(prefDNSMode, dnsSystem) + "\x00" + p.String(prefDNSServer) + "\x00" + p.String(prefZoneFiles)
		}
		dnsBefore := dnsNow()
		defer func() {
			if dnsNow() != dnsBefore {
				u.offerRecheck() // the loaded reports were made with the old DNS source
			}
		}()
		p.SetString(prefDNSMode, mode.Selected)
		p.SetString(prefDNSServer, server.Text)
		p.SetString(prefZoneFiles, zones.Text)
		p.SetString(prefTrusted, trusted.Text)
		p.SetString(prefKeyFiles, keyFiles.Text)
		p.SetString(prefTrustAnchor, anchor.Text)
		if m, err := strconv.Atoi(strings.TrimSpace(passMinutes.Text)); err == nil && m > 0 {
			p.SetInt(prefPassMinutes, m)
		}
		if m, err := strconv.Atoi(strings.TrimSpace(maxBody.Text)); err == nil && m > 0 {
			p.SetInt(prefMaxBodyMB, min(m, mailbox.MaxMessageBytes>>20))
		}
		p.SetString(prefTheme, th.Selected)
		if pc, err := strconv.Atoi(strings.TrimSuffix(textSize.Selected, "%")); err == nil {
			p.SetInt(prefTextScale, pc)
		}
		applyTheme(u.app)
	}, u.win)
	d.Resize(settingsSize(u.win))
	d.Show()
}

// settingsSize is wide enough for every field's placeholder, within the
// window.
func settingsSize(w fyne.Window) fyne.Size {
	s := dialogSize(w)
	return fyne.NewSize(min(s.Width, 860), min(s.Height, 720))
}

// applyTheme follows the theme and text size preferences.
func applyTheme(a fyne.App) { applyThemeScaled(a, textScale(a)) }
