// Command sealtrace is Sealtrace's desktop app: it creates the Fyne app and
// its window and hands them to package ui.
//
//	sealtrace [FILE...]
//
// opens each FILE (.eml, .mbox) beside the demo mailbox, so that the app can
// be the system's "Open with" for mail files: desktop environments pass
// paths, or file:// URIs (a .desktop entry's %U).
package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"fyne.io/fyne/v2/app"

	"github.com/sealtrace/sealtrace/ui"
)

func main() {
	files, err := filesFromArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "sealtrace:", err)
		fmt.Fprintln(os.Stderr, "usage: sealtrace [FILE...]")
		os.Exit(2)
	}
	a := app.NewWithID("dev.sealtrace.app")
	w := a.NewWindow("Sealtrace")
	u := ui.New(a, w)
	u.Show()
	u.Open(files...)
	w.ShowAndRun()
}

// filesFromArgs is the files named on the command line: paths, or file://
// URIs as a file manager passes them. "--" ends the options (a file may
// start with "-"); any other option is an error, as is a URI of another
// scheme (the app opens nothing remote).
func filesFromArgs(args []string) ([]string, error) {
	var files []string
	opts := true
	for _, a := range args {
		switch {
		case opts && a == "--":
			opts = false
		case opts && strings.HasPrefix(a, "-") && a != "-":
			return nil, fmt.Errorf("unknown option %q", a)
		case strings.Contains(a, "://"):
			u, err := url.Parse(a)
			if err != nil || u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") {
				return nil, fmt.Errorf("%q: only files on this computer can be opened", a)
			}
			files = append(files, u.Path)
		default:
			files = append(files, a)
		}
	}
	return files, nil
}
