package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/trace"
)

// Words of the Trace: each step shows its kind (trace.Kind: info, ok, warn,
// pass, fail, temperror) in a colour of its own; a step that led to a result
// shows the RFC 8601 result word instead, in capitals, in its kind's colour.
// So "SOFTFAIL" is always a result, and "info" or "ok" never looks like one.

// stepWord is the word a step is shown with.
func stepWord(s inspect.Step) string {
	if s.Result != "" && s.Result != trace.None {
		return strings.ToUpper(s.Result)
	}
	if s.Result == trace.None && trace.KindOf(s) != trace.KindInfo {
		return strings.ToUpper(s.Result)
	}
	return trace.KindOf(s)
}

// kindColour is the theme colour of a step's kind.
func kindColour(k trace.Kind) fyne.ThemeColorName {
	switch k {
	case trace.KindPass, trace.KindOK:
		return theme.ColorNameSuccess
	case trace.KindFail:
		return theme.ColorNameError
	case trace.KindWarn, trace.KindTempError:
		return theme.ColorNameWarning
	}
	return theme.ColorNamePlaceHolder // info: quiet grey
}

// stepRun is a step's word as a bold, coloured run.
func stepRun(s inspect.Step) *widget.TextSegment {
	r := strong(stepWord(s))
	r.Style.ColorName = kindColour(trace.KindOf(s))
	return r
}

// wordsOf shows a report's token ("unknown_key") as words ("unknown key").
func wordsOf(token string) string { return strings.ReplaceAll(token, "_", " ") }

// spfWords is the SPF node's title: which IP was checked for which domain,
// or in words what was missing ("SPF: — for —" said nothing).
func spfWords(r inspect.SPFResult) string {
	switch {
	case r.IP == "":
		return "SPF: not checked (no sending IP known)"
	case r.Domain == "":
		return "SPF: " + r.IP + " (no sender domain)"
	}
	return "SPF: " + r.IP + " for " + r.Domain
}
