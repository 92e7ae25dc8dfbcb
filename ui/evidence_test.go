package ui

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/pipeline"
)

// The What-if tab re-runs the selected message from its recorded evidence
// with the chosen changes (off the UI goroutine) and shows each verdict
// before → after: strict-alignment fails DMARC with p=quarantine, so
// p=reject makes its disposition reject and nothing else changes.
func TestWhatIfPanel(t *testing.T) {
	u, _ := newTestUI(t)
	var e *entry
	u.postAndWait(func() { e = u.entryByDemo(t, "strict-alignment"); u.selectEntry(e) })
	p := u.view.whatIf
	u.postAndWait(func() { p.policy.SetSelected("p=reject") })
	u.postAndWait(func() { test.Tap(p.run) }) // the panel's work goes off the UI goroutine
	var got string
	waitFor(t, u, "the what-if result", func() bool {
		got = p.result.Text
		return strings.HasPrefix(got, "WHAT-IF")
	})
	for _, want := range []string{"Disposition: quarantine → reject   (CHANGED)", "DMARC: fail → fail   (unchanged)", "SPF: pass → pass   (unchanged)", "edits: p=reject"} {
		if want == "edits: p=reject" {
			want = "WHAT-IF (not what happened): p=reject"
		}
		if !strings.Contains(got, want) {
			t.Errorf("what-if result lacks %q:\n%s", want, got)
		}
	}
	// The Path marks the node whose verdict changed: only the decision
	// (the disposition), not the receiver's checks.
	var marked map[string]bool
	u.postAndWait(func() { marked = u.view.diagram.state.highlight })
	if len(marked) != 1 || !marked["decision"] {
		t.Errorf("the Path marks %v, want the decision only", marked)
	}
	// Another message clears the result.
	u.postAndWait(func() { u.selectEntry(u.entryByDemo(t, "all-pass-rsa")) })
	u.postAndWait(func() { got = p.result.Text; marked = u.view.diagram.state.highlight })
	if len(marked) != 0 {
		t.Errorf("the marks of another message's what-if are still drawn: %v", marked)
	}
	if strings.Contains(got, "WHAT-IF") {
		t.Errorf("the result of another message is still shown: %s", got)
	}
}

// A bundle opens like a message: its report replayed from the evidence,
// under a banner saying when it was recorded; a bundle changed afterwards
// is shown with a warning naming what differs.
func TestOpenBundleBanner(t *testing.T) {
	u, _ := newTestUI(t)
	var e *entry
	u.postAndWait(func() { e = u.entryByDemo(t, "all-pass-rsa") })
	// The bundle Export saves, made as Export makes it.
	var x evidenceOf
	u.postAndWait(func() { x = e.evidence() })
	b, err := x.bundle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good, err := b.WriteFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	var m map[string]any
	json.Unmarshal(data, &m)
	m["report"].(map[string]any)["dmarc"].(map[string]any)["result"] = "fail"
	data, _ = json.Marshal(m)
	bad := filepath.Join(dir, "changed"+pipeline.EvidenceExt)
	os.WriteFile(bad, data, 0o600)

	for _, c := range []struct {
		path, want string
		imp        widget.Importance
	}{
		{good, "Replayed from evidence recorded at", widget.WarningImportance},
		{bad, "changed after it was written", widget.DangerImportance},
	} {
		u.postAndWait(func() { u.openPath(c.path) })
		var r *entry
		waitFor(t, u, "the bundle to be replayed", func() bool {
			for _, x := range u.entries {
				if x.source == filepath.Base(c.path) && x.report != nil {
					r = x
				}
			}
			return r != nil
		})
		var text string
		var visible bool
		var imp widget.Importance
		u.postAndWait(func() {
			u.selectEntry(r)
			text, visible, imp = u.view.evidence.Text, u.view.evidence.Visible(), u.view.evidence.Importance
		})
		if !visible || !strings.Contains(text, c.want) || imp != c.imp || r.report.DMARC.Result != "pass" {
			t.Errorf("%s: banner %v %q (importance %v), DMARC %s", filepath.Base(c.path), visible, text, imp, r.report.DMARC.Result)
		}
	}
	// A message inspected as usual has no banner.
	var visible bool
	u.postAndWait(func() { u.selectEntry(e); visible = u.view.evidence.Visible() })
	if visible {
		t.Error("a banner over a message that was not replayed")
	}
}
