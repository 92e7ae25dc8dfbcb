package winpkg

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// appMeta is what FyneApp.toml says about the app: the package must carry
// the same name and version.
type appMeta struct {
	Name    string
	Version [4]uint16 // Version a.b.c and Build, as the fyne tool joins them
}

func (m appMeta) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", m.Version[0], m.Version[1], m.Version[2], m.Version[3])
}

func readMeta(t *testing.T) (appMeta, string) {
	t.Helper()
	b, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	field := func(re string) string {
		m := regexp.MustCompile(`(?m)^\s*` + re + `\s*=\s*"?([^"\n]*)"?\s*$`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("FyneApp.toml has no %s", re)
		}
		return string(m[1])
	}
	var m appMeta
	m.Name = field("Name")
	ver := field("Version")
	var a, bb, c int
	if _, err := fmt.Sscanf(ver, "%d.%d.%d", &a, &bb, &c); err != nil {
		t.Fatalf("FyneApp.toml Version %q: %v", ver, err)
	}
	build, err := strconv.Atoi(field("Build"))
	if err != nil {
		t.Fatal(err)
	}
	m.Version = [4]uint16{uint16(a), uint16(bb), uint16(c), uint16(build)}
	return m, ver
}

// pkgDir is the folder `make package-windows` writes; `make test` sets
// SEALTRACE_WINDOWS_PKG to it after building. The check needs the build
// (about 7 minutes cold), so a plain `go test ./...` does not start one.
func pkgDir(t *testing.T) string {
	dir := os.Getenv("SEALTRACE_WINDOWS_PKG")
	if dir == "" {
		msg := "SEALTRACE_WINDOWS_PKG is not set: `make test` builds the Windows package and checks it"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg) // in CI the package is always built and checked
		}
		t.Skip(msg)
	}
	return dir
}

func openPE(t *testing.T, path string) *pe.File {
	t.Helper()
	f, err := pe.Open(path)
	if err != nil {
		t.Fatalf("%s: %v (run make package-windows)", path, err)
	}
	t.Cleanup(func() { f.Close() })
	if f.FileHeader.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		t.Errorf("%s: machine %#x, want x86-64 (%#x)", path, f.FileHeader.Machine, pe.IMAGE_FILE_MACHINE_AMD64)
	}
	if oh, ok := f.OptionalHeader.(*pe.OptionalHeader64); !ok || oh.Magic != 0x20b {
		t.Fatalf("%s: not PE32+ (optional header %T)", path, f.OptionalHeader)
	}
	return f
}

// The desktop app is a GUI program (no console window opens behind it)
// with the icon, version information and manifest from FyneApp.toml.
func TestWindowsApp(t *testing.T) {
	dir := pkgDir(t)
	meta, ver := readMeta(t)
	path := filepath.Join(dir, "Sealtrace-"+ver+"-windows-amd64.exe")
	f := openPE(t, path)
	if ss := f.OptionalHeader.(*pe.OptionalHeader64).Subsystem; ss != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("subsystem %d, want Windows GUI (%d)", ss, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI)
	}
	if f.Section(".rsrc") == nil {
		t.Errorf("no .rsrc section")
	}
	res, err := Resources(f)
	if err != nil {
		t.Fatal(err)
	}
	icons := map[uint32][]byte{}
	var groups, versions, manifests [][]byte
	for _, r := range res {
		switch r.Type {
		case RTIcon:
			icons[r.ID] = r.Data
		case RTGroupIcon:
			groups = append(groups, r.Data)
		case RTVersion:
			versions = append(versions, r.Data)
		case RTManifest:
			manifests = append(manifests, r.Data)
		}
	}

	// RT_GROUP_ICON is a GRPICONDIR (reserved 0, type 1, count) and count
	// 14-byte entries whose last field is the RT_ICON ID of the image. The
	// fyne tool writes the group twice: its own ID and IDI_APPLICATION
	// (32512), the icon Windows gives the app's windows.
	if len(groups) == 0 {
		t.Fatalf("no RT_GROUP_ICON resource")
	}
	largest := 0
	for _, g := range groups {
		if len(g) < 6 || binary.LittleEndian.Uint16(g[2:]) != 1 {
			t.Fatalf("RT_GROUP_ICON is not an icon directory: % x", g)
		}
		n := int(binary.LittleEndian.Uint16(g[4:]))
		if n == 0 || len(g) < 6+14*n {
			t.Fatalf("RT_GROUP_ICON has %d entries in %d bytes", n, len(g))
		}
		for i := 0; i < n; i++ {
			id := uint32(binary.LittleEndian.Uint16(g[6+14*i+12:]))
			img, ok := icons[id]
			if !ok || len(img) == 0 {
				t.Fatalf("icon group entry %d names RT_ICON %d, which is missing", i, id)
			}
			// An icon image is a PNG or a BMP without its file header.
			if cfg, _, err := image.DecodeConfig(bytes.NewReader(img)); err == nil && cfg.Width > largest {
				largest = cfg.Width
			}
		}
	}
	src, err := os.Open("../../assets/icon.png")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	want, _, err := image.DecodeConfig(src)
	if err != nil {
		t.Fatal(err)
	}
	// The ICO format stops at 256 pixels; a larger source is scaled down.
	if w := min(want.Width, 256); largest != w {
		t.Errorf("largest icon image is %d pixels wide, want %d (assets/icon.png)", largest, w)
	}

	if len(versions) != 1 {
		t.Fatalf("%d RT_VERSION resources, want 1", len(versions))
	}
	v, err := ParseVersion(versions[0])
	if err != nil {
		t.Fatal(err)
	}
	if v.File != meta.Version || v.Product != meta.Version {
		t.Errorf("fixed file/product version %v/%v, want %v (FyneApp.toml Version and Build)", v.File, v.Product, meta.Version)
	}
	for _, k := range []string{"FileVersion", "ProductVersion"} {
		if got := v.Strings[k]; got != meta.String() {
			t.Errorf("%s %q, want %q", k, got, meta.String())
		}
	}
	for _, k := range []string{"ProductName", "FileDescription"} {
		if got := v.Strings[k]; got != meta.Name {
			t.Errorf("%s %q, want %q", k, got, meta.Name)
		}
	}
	if len(manifests) != 1 || !bytes.Contains(manifests[0], []byte("<assembly")) {
		t.Errorf("no application manifest (%d RT_MANIFEST)", len(manifests))
	}
}

// The CLI is a console program for the same machine.
func TestWindowsCLI(t *testing.T) {
	dir := pkgDir(t)
	_, ver := readMeta(t)
	f := openPE(t, filepath.Join(dir, "sealtrace-cli-"+ver+"-windows-amd64.exe"))
	if ss := f.OptionalHeader.(*pe.OptionalHeader64).Subsystem; ss != pe.IMAGE_SUBSYSTEM_WINDOWS_CUI {
		t.Errorf("subsystem %d, want Windows CUI (%d)", ss, pe.IMAGE_SUBSYSTEM_WINDOWS_CUI)
	}
}
