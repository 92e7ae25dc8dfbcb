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
	zones.SetPlaceHolder("one zone file path per line")
	zones.SetText(p.String(prefZoneFiles))
	trusted := widget.NewEntry()
	trusted.SetPlaceHolder("mx.example.com (space separated; empty: the topmost Authentication-Results)")
	trusted.SetText(p.String(prefTrusted))
	keyFiles := widget.NewMultiLineEntry()
	keyFiles.SetPlaceHolder("OpenPGP key files (armored), one path per line")
	keyFiles.SetText(p.String(prefKeyFiles))
	passMinutes := widget.NewEntry()
	passMinutes.SetText(strconv.Itoa(p.IntWithFallback(prefPassMinutes, 15)))
	anchor := widget.NewEntry()
	anchor.SetPlaceHolder("empty: the IANA root anchors built into Sealtrace")
	anchor.SetText(p.String(prefTrustAnchor))
	maxBody := widget.NewEntry()
	maxBody.SetText(strconv.Itoa(p.IntWithFallback(prefMaxBodyMB, defaultMaxBody>>20)))
	th := widget.NewSelect([]string{"System", "Light", "Dark"}, nil)
	th.SetSelected(p.StringWithFallback(prefTheme, "System"))
	textSize := widget.NewSelect(textScales, nil)
	textSize.SetSelected(strconv.Itoa(p.IntWithFallback(prefTextScale, 100)) + "%")
	form := []*widget.FormItem{
		widget.NewFormItem("DNS", mode),
		widget.NewFormItem("DNS server", server),
		widget.NewFormItem("Zone files", zones),
		widget.NewFormItem("Trusted receivers", trusted),
		widget.NewFormItem("OpenPGP keys", keyFiles),
		widget.NewFormItem("DNSSEC trust anchor", anchor),
		widget.NewFormItem("Forget the passphrase after (minutes)", passMinutes),
		widget.NewFormItem("IMAP: fetch whole messages up to (MB)", maxBody),
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
	d.Resize(fyne.NewSize(600, 480))
	d.Show()
}

// applyTheme follows the theme and text size preferences.
func applyTheme(a fyne.App) { applyThemeScaled(a, textScale(a)) }
