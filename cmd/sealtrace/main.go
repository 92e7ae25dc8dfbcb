// Command sealtrace is Sealtrace's desktop app: it creates the Fyne app and
// its window and hands them to package ui.
package main

import (
	"fyne.io/fyne/v2/app"

	"github.com/sealtrace/sealtrace/ui"
)

func main() {
	a := app.NewWithID("dev.sealtrace.app")
	w := a.NewWindow("Sealtrace")
	ui.New(a, w).Show()
	w.ShowAndRun()
}
