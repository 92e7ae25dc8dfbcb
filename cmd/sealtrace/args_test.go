package main

import (
	"reflect"
	"testing"
)

// The command line names files to open: paths, file:// URIs as file
// managers pass them (%U), "--" before a name that starts with "-"; other
// options and remote URIs are refused.
func TestFilesFromArgs(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
		bad  bool
	}{
		{args: nil},
		{args: []string{"a.eml", "/tmp/b.mbox"}, want: []string{"a.eml", "/tmp/b.mbox"}},
		{args: []string{"file:///home/me/Mail/ticket%20one.eml"}, want: []string{"/home/me/Mail/ticket one.eml"}},
		{args: []string{"--", "-odd.eml"}, want: []string{"-odd.eml"}},
		{args: []string{"--verbose"}, bad: true},
		{args: []string{"https://example.org/x.eml"}, bad: true},
		{args: []string{"file://server/share/x.eml"}, bad: true},
	} {
		got, err := filesFromArgs(c.args)
		if (err != nil) != c.bad || (!c.bad && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("filesFromArgs(%q) = %q, %v", c.args, got, err)
		}
	}
}
