package pipeline

import (
	"io/fs"
	"path"
	"sort"

	"github.com/sealtrace/sealtrace/assets"
)

// ReportFile is one report file as it arrived: its name (which tells .xml,
// .xml.gz, .zip, .json.gz and .eml apart) and its bytes.
type ReportFile struct {
	Name string
	Data []byte
}

// DemoReports is the demo's reports folder, in name order: the DMARC
// aggregate, failure and TLS reports about the demo's domains that go with
// the demo mailbox (Demo), all offline. The failure report's message is
// inspected with Demo's configuration.
func DemoReports() ([]ReportFile, error) {
	ents, err := fs.ReadDir(assets.DemoReports, assets.DemoReportsDir)
	if err != nil {
		return nil, err
	}
	var out []ReportFile
	for _, e := range ents {
		data, err := fs.ReadFile(assets.DemoReports, path.Join(assets.DemoReportsDir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, ReportFile{Name: e.Name(), Data: data})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
