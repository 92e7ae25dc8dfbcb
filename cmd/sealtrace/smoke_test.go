package main

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSmokeUnderXvfb starts the real binary (GLFW, OpenGL through Mesa) in
// a virtual X server, takes a screenshot and checks that the window is
// there and shows the demo mailbox: a window named Sealtrace, and a screen
// with the colours of the badges and the path. The screenshot is kept as
// bin/smoke.png for a person to look at. Xvfb is installed by make test; a
// missing one fails the test.
func TestSmokeUnderXvfb(t *testing.T) {
	for _, tool := range []string{"xvfb-run", "import", "xwininfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (make test installs xvfb, imagemagick and x11-utils): %v", tool, err)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "sealtrace")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	shot := filepath.Join(dir, "shot.png")
	tree := filepath.Join(dir, "tree.txt")
	// The app runs for a few seconds; the script stops it by its PID.
	script := `"$1" > "$4" 2>&1 & pid=$!
for i in $(seq 1 40); do sleep 0.5; xwininfo -root -tree > "$3" 2>/dev/null; grep -q '"Sealtrace"' "$3" && break; done
sleep 3
import -window root "$2"
kill $pid; wait $pid 2>/dev/null; true`
	cmd := exec.Command("xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "sh", "-c", script, "sh", bin, shot, tree, filepath.Join(dir, "app.log"))
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xvfb-run: %v\n%s", err, out)
	}
	names, _ := os.ReadFile(tree)
	if !strings.Contains(string(names), `"Sealtrace"`) {
		logs, _ := os.ReadFile(filepath.Join(dir, "app.log"))
		t.Fatalf("no window named Sealtrace:\n%s\napp log:\n%s", names, logs)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 800 {
		t.Errorf("screenshot is %v", b)
	}
	// The badges and path nodes: green, red, amber and grey areas.
	counts := colourCounts(img)
	for name, n := range counts {
		if n < 200 {
			t.Errorf("only %d %s pixels: the list or the path is not shown", n, name)
		}
	}
	keep, _ := filepath.Abs("../../bin/smoke.png")
	if err := os.MkdirAll(filepath.Dir(keep), 0o755); err == nil {
		if data, err := os.ReadFile(shot); err == nil && os.WriteFile(keep, data, 0o644) == nil {
			t.Logf("screenshot: %s (colours %v)", keep, counts)
		}
	}
}

// colourCounts counts pixels near the result colours of the UI.
func colourCounts(img image.Image) map[string]int {
	want := map[string][3]int{"green": {0x2e, 0xa0, 0x43}, "red": {0xd1, 0x24, 0x2f}, "amber": {0xd9, 0x8a, 0x00}, "grey": {0x8c, 0x95, 0x9f}}
	counts := map[string]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			for name, c := range want {
				if near(int(r>>8), c[0]) && near(int(g>>8), c[1]) && near(int(bl>>8), c[2]) {
					counts[name]++
				}
			}
		}
	}
	for name := range want {
		counts[name] += 0
	}
	return counts
}

func near(a, b int) bool { return a-b < 12 && b-a < 12 }
