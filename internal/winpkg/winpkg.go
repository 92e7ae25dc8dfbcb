// Package winpkg reads what the Windows package needs to carry, so that a
// test on Linux can check the .exe that `make package-windows` builds: the
// resource tree of a PE file (the .rsrc section: icons, version
// information, manifest) and the version information block.
//
// The resource section is a tree of IMAGE_RESOURCE_DIRECTORY tables, three
// levels deep: type (RT_ICON, RT_GROUP_ICON, RT_VERSION...), name or ID,
// language; a leaf is an IMAGE_RESOURCE_DATA_ENTRY giving the RVA and size
// of the bytes (Microsoft PE format, "The .rsrc Section"). Version
// information is a VS_VERSIONINFO block: a VS_FIXEDFILEINFO and a
// StringFileInfo of UTF-16 key/value pairs (Microsoft, "VS_VERSIONINFO").
package winpkg

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// Resource types (winuser.h).
const (
	RTIcon      = 3
	RTGroupIcon = 14
	RTVersion   = 16
	RTManifest  = 24
)

// Resource is one leaf of the resource tree.
type Resource struct {
	Type, ID, Lang uint32 // a named entry's ID is 0
	Data           []byte
}

// maxEntries bounds the entries read from one directory: a hostile file
// could claim 65535 named and 65535 ID entries at each level.
const maxEntries = 4096

// Resources reads the resource tree of f.
func Resources(f *pe.File) ([]Resource, error) {
	var dir pe.DataDirectory
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		if oh.NumberOfRvaAndSizes <= pe.IMAGE_DIRECTORY_ENTRY_RESOURCE {
			return nil, errors.New("winpkg: no resource directory")
		}
		dir = oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]
	case *pe.OptionalHeader32:
		if oh.NumberOfRvaAndSizes <= pe.IMAGE_DIRECTORY_ENTRY_RESOURCE {
			return nil, errors.New("winpkg: no resource directory")
		}
		dir = oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]
	default:
		return nil, errors.New("winpkg: no optional header")
	}
	if dir.VirtualAddress == 0 || dir.Size == 0 {
		return nil, errors.New("winpkg: no resource directory")
	}
	var sec *pe.Section
	for _, s := range f.Sections {
		if dir.VirtualAddress >= s.VirtualAddress && dir.VirtualAddress-s.VirtualAddress < s.Size {
			sec = s
		}
	}
	if sec == nil {
		return nil, errors.New("winpkg: the resource directory is in no section")
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("winpkg: reading section %s: %w", sec.Name, err)
	}
	return parseTree(data, dir.VirtualAddress-sec.VirtualAddress, sec.VirtualAddress)
}

// parseTree walks the three levels of the tree rooted at root in sec
// (which is loaded at secRVA; data entries give RVAs).
func parseTree(sec []byte, root, secRVA uint32) ([]Resource, error) {
	var out []Resource
	seen := 0 // entries read in all directories: a directory may be pointed at many times
	var walk func(off uint32, depth int, path [3]uint32) error
	walk = func(off uint32, depth int, path [3]uint32) error {
		tbl := sec[root:]
		if uint64(off)+16 > uint64(len(tbl)) {
			return fmt.Errorf("winpkg: directory at %#x past the section", off)
		}
		n := int(binary.LittleEndian.Uint16(tbl[off+12:])) + int(binary.LittleEndian.Uint16(tbl[off+14:]))
		if n > maxEntries {
			return fmt.Errorf("winpkg: directory at %#x claims %d entries", off, n)
		}
		if seen += n; seen > 4*maxEntries {
			return errors.New("winpkg: the resource tree has too many entries")
		}
		for i := 0; i < n; i++ {
			e := uint64(off) + 16 + 8*uint64(i)
			if e+8 > uint64(len(tbl)) {
				return fmt.Errorf("winpkg: entry %d at %#x past the section", i, off)
			}
			name := binary.LittleEndian.Uint32(tbl[e:])
			target := binary.LittleEndian.Uint32(tbl[e+4:])
			if name&0x80000000 == 0 {
				path[depth] = name
			} else {
				path[depth] = 0 // a named entry (a string); its ID is not used here
			}
			sub := target&0x80000000 != 0
			target &^= 0x80000000
			switch {
			case sub && depth < 2:
				if err := walk(target, depth+1, path); err != nil {
					return err
				}
			case !sub && depth == 2:
				if uint64(target)+16 > uint64(len(tbl)) {
					return fmt.Errorf("winpkg: data entry at %#x past the section", target)
				}
				rva := binary.LittleEndian.Uint32(tbl[target:])
				size := binary.LittleEndian.Uint32(tbl[target+4:])
				if rva < secRVA || uint64(rva-secRVA)+uint64(size) > uint64(len(sec)) {
					return fmt.Errorf("winpkg: resource %v (%d bytes at RVA %#x) is outside the section", path, size, rva)
				}
				out = append(out, Resource{Type: path[0], ID: path[1], Lang: path[2], Data: sec[rva-secRVA : rva-secRVA+size]})
			default:
				// A leaf above the language level or a directory below it:
				// the tree is three levels deep.
				return fmt.Errorf("winpkg: malformed tree at level %d", depth)
			}
		}
		return nil
	}
	if uint64(root) >= uint64(len(sec)) {
		return nil, errors.New("winpkg: the resource directory is past its section")
	}
	if err := walk(0, 0, [3]uint32{}); err != nil {
		return nil, err
	}
	return out, nil
}

// Version is what a VS_VERSIONINFO block says.
type Version struct {
	File, Product [4]uint16         // VS_FIXEDFILEINFO: major, minor, patch, build
	Strings       map[string]string // StringFileInfo (the first table)
}

// ParseVersion reads a VS_VERSIONINFO block. Each block is wLength,
// wValueLength, wType, a NUL-terminated UTF-16 key, padding to 32 bits, the
// value, padding, then child blocks.
func ParseVersion(b []byte) (*Version, error) {
	key, val, children, err := block(b)
	if err != nil {
		return nil, err
	}
	if key != "VS_VERSION_INFO" {
		return nil, fmt.Errorf("winpkg: version block key %q", key)
	}
	if len(val) < 52 || binary.LittleEndian.Uint32(val) != 0xFEEF04BD {
		return nil, errors.New("winpkg: no VS_FIXEDFILEINFO")
	}
	v := &Version{Strings: map[string]string{}}
	u := func(o int) uint16 { return binary.LittleEndian.Uint16(val[o:]) }
	// dwFileVersionMS at 8 (major<<16|minor), LS at 12; product at 16, 20.
	v.File = [4]uint16{u(10), u(8), u(14), u(12)}
	v.Product = [4]uint16{u(18), u(16), u(22), u(20)}
	for len(children) > 0 {
		k, _, sub, err := block(children)
		if err != nil {
			return nil, err
		}
		if k == "StringFileInfo" {
			// StringFileInfo > StringTable (a language) > String.
			_, _, strs, err := block(sub)
			if err != nil {
				return nil, err
			}
			for len(strs) > 0 {
				sk, sv, _, err := block(strs)
				if err != nil {
					return nil, err
				}
				v.Strings[sk] = decodeUTF16(sv)
				strs = strs[align(int(binary.LittleEndian.Uint16(strs)), len(strs)):]
			}
		}
		children = children[align(int(binary.LittleEndian.Uint16(children)), len(children)):]
	}
	return v, nil
}

// block splits one version block into its key, value and children. The
// value of a text block (wType 1) is counted in UTF-16 units.
func block(b []byte) (key string, val, children []byte, err error) {
	if len(b) < 6 {
		return "", nil, nil, errors.New("winpkg: version block cut short")
	}
	length := int(binary.LittleEndian.Uint16(b))
	valLen := int(binary.LittleEndian.Uint16(b[2:]))
	if binary.LittleEndian.Uint16(b[4:]) == 1 {
		valLen *= 2
	}
	if length < 6 || length > len(b) {
		return "", nil, nil, fmt.Errorf("winpkg: version block of %d bytes in %d", length, len(b))
	}
	b = b[:length]
	end := 6
	for end+1 < len(b) && (b[end] != 0 || b[end+1] != 0) {
		end += 2
	}
	if end+1 >= len(b) {
		return "", nil, nil, errors.New("winpkg: version block key not terminated")
	}
	key = decodeUTF16(b[6:end])
	v := align(end+2, len(b))
	if v+valLen > len(b) {
		return "", nil, nil, errors.New("winpkg: version block value past its block")
	}
	return key, b[v : v+valLen], b[align(v+valLen, len(b)):], nil
}

// align rounds o up to 32 bits, not past n.
func align(o, n int) int {
	o = (o + 3) &^ 3
	if o > n || o <= 0 {
		return n
	}
	return o
}

func decodeUTF16(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, binary.LittleEndian.Uint16(b[i:]))
	}
	return string(bytes.TrimRight([]byte(string(utf16.Decode(u))), "\x00"))
}
