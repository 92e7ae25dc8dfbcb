package main

import (
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScreenshotsUnderXvfb runs the real app at the sizes a support
// engineer uses (700x500, 1280x800, 1920x1080), light and dark, in a
// virtual X server sized to each, the window resized to fill it with
// xdotool, and checks each screenshot: the window is there, it fills the
// screen, and the badges' colours are drawn. With
// SEALTRACE_UPDATE_SCREENSHOTS=1 the screenshots are written to
// docs/screenshots/ (for the README); otherwise to bin/screenshots/ for a
// person to look at.
func TestScreenshotsUnderXvfb(t *testing.T) {
	for _, tool := range []string{"xvfb-run", "import", "xwininfo", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (make test installs xvfb, imagemagick, x11-utils and xdotool): %v", tool, err)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "sealtrace")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	keep, _ := filepath.Abs("../../bin/screenshots")
	if os.Getenv("SEALTRACE_UPDATE_SCREENSHOTS") == "1" {
		keep, _ = filepath.Abs("../../docs/screenshots")
	}
	if err := os.MkdirAll(keep, 0o755); err != nil {
		t.Fatal(err)
	}
	// The app starts, its window is found by name and resized to the
	// screen (there is no window manager: xdotool resizes it); the
	// screenshot is taken once the demo mailbox is inspected and drawn.
	script := `"$1" > "$4" 2>&1 & pid=$!
for i in $(seq 1 40); do sleep 0.5; xwininfo -root -tree > "$3" 2>/dev/null; grep -q '"Sealtrace"' "$3" && break; done
wid=$(xdotool search --name '^Sealtrace$' | head -1)
sleep 2 # the app sizes its window itself once shown: resize after that
xdotool windowmove "$wid" 0 0 windowsize "$wid" "$5" "$6"
sleep 15
import -window root "$2"
kill $pid; wait $pid 2>/dev/null; true`
	for _, size := range [][2]int{{700, 500}, {1280, 800}, {1920, 1080}} {
		for _, variant := range []string{"light", "dark"} {
			name := fmt.Sprintf("sealtrace-%dx%d-%s.png", size[0], size[1], variant)
			t.Run(name, func(t *testing.T) {
				shot, tree, log := filepath.Join(dir, name), filepath.Join(dir, name+".tree"), filepath.Join(dir, name+".log")
				w, h := fmt.Sprint(size[0]), fmt.Sprint(size[1])
				cmd := exec.Command("xvfb-run", "-a", "-s", "-screen 0 "+w+"x"+h+"x24", "sh", "-c", script, "sh", bin, shot, tree, log, w, h)
				// A home of its own: no settings of the user's, the theme
				// chosen through Fyne's FYNE_THEME.
				cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "HOME="+t.TempDir(), "FYNE_THEME="+variant)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("xvfb-run: %v\n%s", err, out)
				}
				if names, _ := os.ReadFile(tree); !strings.Contains(string(names), `"Sealtrace"`) {
					logs, _ := os.ReadFile(log)
					t.Fatalf("no window named Sealtrace:\n%s\napp log:\n%s", names, logs)
				}
				f, err := os.Open(shot)
				if err != nil {
					t.Fatalf("no screenshot: %v", err)
				}
				img, err := png.Decode(f)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				if b := img.Bounds(); b.Dx() != size[0] || b.Dy() != size[1] {
					t.Errorf("screenshot is %v", b)
				}
				// The window fills the screen: its bottom-right corner is
				// not the X server's black.
				if r, g, b, _ := img.At(size[0]-3, size[1]-3).RGBA(); r == 0 && g == 0 && b == 0 {
					t.Errorf("the window does not fill the %dx%d screen", size[0], size[1])
				}
				// The first rows of the demo pass (green); its failures
				// (red) are in view from 800 pixels of height.
				counts := colourCounts(img)
				want := []string{"green"}
				if size[1] >= 800 {
					want = append(want, "red")
				}
				for _, c := range want {
					if counts[c] < 200 {
						t.Errorf("only %d %s pixels: the list is not shown", counts[c], c)
					}
				}
				data, _ := os.ReadFile(shot)
				if err := os.WriteFile(filepath.Join(keep, name), data, 0o644); err != nil {
					t.Error(err)
				}
			})
		}
	}
}
