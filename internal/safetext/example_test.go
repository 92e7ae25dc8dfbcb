package safetext_test

import (
	"fmt"

	"github.com/sealtrace/sealtrace/internal/safetext"
)

// An RFC 2047 Subject can carry a window-title sequence and an erase-line.
func ExampleTerminal() {
	fmt.Println(safetext.Terminal("DMARC \x1b]0;pwned\x07\x1b[2K\rPASS"))
	// Output: DMARC ␛]0;pwned␇␛[2K␍PASS
}

// Only what could be markup at its place is escaped.
func ExampleMarkdownText() {
	fmt.Println(safetext.MarkdownText("![x](https://tracker.example/p.png) from www.example.com"))
	// Output: !\[x\](https\://tracker.example/p.png) from www\.example.com
}

// A TXT record with a line of three backticks stays inside the block.
func ExampleMarkdownFence() {
	fmt.Print(safetext.MarkdownFence("v=spf1 -all\n```\n![x](https://tracker.example/)", ""))
	// Output:
	// ````
	// v=spf1 -all
	// ```
	// ![x](https://tracker.example/)
	// ````
}

func ExampleFileName() {
	fmt.Println(safetext.FileName("../../.bashrc", "attachment"))
	fmt.Println(safetext.FileName(`..\..\Startup\evil.lnk`, "attachment"))
	// Output:
	// bashrc
	// evil.lnk
}
