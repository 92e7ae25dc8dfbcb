//go:build !windows

package resolver

// NewSystem returns a source that asks the servers of /etc/resolv.conf. On
// macOS the file is written by the system from its network settings (the
// resolver itself reads them through configd), so it names the same
// servers.
func NewSystem() (*Server, error) {
	return newSystemFrom("/etc/resolv.conf")
}
