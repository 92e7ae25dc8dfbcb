package winpkg

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

// verBlock encodes one version block (see ParseVersion).
func verBlock(key string, text bool, val []byte, children ...[]byte) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint16(b, 0) // length, set below
	vl := len(val)
	if text {
		vl /= 2
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(vl))
	typ := uint16(0)
	if text {
		typ = 1
	}
	b = binary.LittleEndian.AppendUint16(b, typ)
	b = append(b, utf16le(key+"\x00")...)
	pad := func() {
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	pad()
	b = append(b, val...)
	for _, c := range children {
		pad()
		b = append(b, c...)
	}
	binary.LittleEndian.PutUint16(b, uint16(len(b)))
	return b
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func fixed(ms, ls uint32) []byte {
	b := make([]byte, 52)
	binary.LittleEndian.PutUint32(b, 0xFEEF04BD)
	binary.LittleEndian.PutUint32(b[8:], ms)
	binary.LittleEndian.PutUint32(b[12:], ls)
	binary.LittleEndian.PutUint32(b[16:], ms)
	binary.LittleEndian.PutUint32(b[20:], ls)
	return b
}

func sampleVersion() []byte {
	return verBlock("VS_VERSION_INFO", false, fixed(1<<16|2, 3<<16|4),
		verBlock("StringFileInfo", true, nil,
			verBlock("040904B0", true, nil,
				verBlock("ProductName", true, utf16le("Sealtrace\x00")),
				verBlock("ProductVersion", true, utf16le("1.2.3.4\x00")))),
		verBlock("VarFileInfo", false, nil))
}

func TestParseVersion(t *testing.T) {
	v, err := ParseVersion(sampleVersion())
	if err != nil {
		t.Fatal(err)
	}
	if want := [4]uint16{1, 2, 3, 4}; v.File != want || v.Product != want {
		t.Errorf("versions %v %v, want %v", v.File, v.Product, want)
	}
	if want := map[string]string{"ProductName": "Sealtrace", "ProductVersion": "1.2.3.4"}; !reflect.DeepEqual(v.Strings, want) {
		t.Errorf("strings %q, want %q", v.Strings, want)
	}
}

// resTree encodes a resource section holding one leaf of each given type
// (ID 1, language 0x409), with the data after the tables; the section is
// loaded at RVA rva.
func resTree(rva uint32, leaves map[uint32][]byte) []byte {
	types := make([]uint32, 0, len(leaves))
	for t := range leaves {
		types = append(types, t)
	}
	for i := range types { // a stable order: IDs ascending, as the format asks
		for j := i + 1; j < len(types); j++ {
			if types[j] < types[i] {
				types[i], types[j] = types[j], types[i]
			}
		}
	}
	dir := func(n int) []byte {
		b := make([]byte, 16)
		binary.LittleEndian.PutUint16(b[14:], uint16(n))
		return b
	}
	entry := func(b []byte, id, target uint32) []byte {
		b = binary.LittleEndian.AppendUint32(b, id)
		return binary.LittleEndian.AppendUint32(b, target)
	}
	// Layout: root, then per type a name directory, a language directory
	// and a data entry (16+8 each, 16 for the data entry), then the data.
	n := uint32(len(types))
	rootLen := 16 + 8*n
	per := uint32(24 + 24 + 16)
	dataAt := rootLen + per*n
	b := dir(len(types))
	for i, t := range types {
		b = entry(b, t, 0x80000000|(rootLen+per*uint32(i)))
	}
	var data []byte
	for i, t := range types {
		at := rootLen + per*uint32(i)
		b = append(b, dir(1)...)
		b = entry(b, 1, 0x80000000|(at+24))
		b = append(b, dir(1)...)
		b = entry(b, 0x409, at+48)
		b = binary.LittleEndian.AppendUint32(b, rva+dataAt+uint32(len(data)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(leaves[t])))
		b = append(b, make([]byte, 8)...)
		data = append(data, leaves[t]...)
		for len(data)%4 != 0 {
			data = append(data, 0)
		}
	}
	return append(b, data...)
}

func TestParseTree(t *testing.T) {
	const rva = 0x5000
	sec := resTree(rva, map[uint32][]byte{RTVersion: sampleVersion(), RTManifest: []byte("<assembly/>")})
	res, err := parseTree(sec, 0, rva)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Type != RTVersion || res[1].Type != RTManifest || res[1].ID != 1 || res[1].Lang != 0x409 || string(res[1].Data) != "<assembly/>" {
		t.Fatalf("resources %+v", res)
	}
	if _, err := ParseVersion(res[0].Data); err != nil {
		t.Fatal(err)
	}
}

// Cut or corrupted input is an error, never a panic.
func TestMalformed(t *testing.T) {
	const rva = 0x5000
	sec := resTree(rva, map[uint32][]byte{RTVersion: sampleVersion()})
	for i := 0; i < len(sec); i += 3 {
		if _, err := parseTree(sec[:i], 0, rva); err == nil && i < 16+8+24+24+16 {
			t.Errorf("section cut at %d parsed", i)
		}
	}
	loop := append([]byte(nil), sec...)
	binary.LittleEndian.PutUint32(loop[16+4:], 0x80000000) // the type points back at the root
	if _, err := parseTree(loop, 0, rva); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("a tree pointing at its root: err = %v", err)
	}
	v := sampleVersion()
	for i := 0; i < len(v); i++ {
		ParseVersion(v[:i])
	}
	if _, err := ParseVersion(v[:40]); err == nil {
		t.Errorf("a version block cut in its fixed info parsed")
	}
}

func FuzzResources(f *testing.F) {
	f.Add(resTree(0x5000, map[uint32][]byte{RTVersion: sampleVersion(), RTManifest: []byte("<assembly/>")}), uint32(0))
	f.Add(sampleVersion(), uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, root uint32) {
		res, err := parseTree(b, root%uint32(len(b)+1), 0x5000)
		if err == nil && len(res) > 4*maxEntries {
			t.Fatalf("%d resources", len(res))
		}
		ParseVersion(b)
	})
}
