// Command dmarcbench is make bench's helper for DMARC aggregate reports.
//
//	dmarcbench gen [-seed S] [-n N] DIR   writes N generated reports into DIR
//	dmarcbench read DIR...                reads them with package reports and
//	                                      prints one JSON object per report
//
// read is the stand-in for `sealtrace-cli reports --format json` while the
// CLI has no reports command: the same reader and the same JSON.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/sealtrace/sealtrace/internal/testpeers/dmarcpeers"
	"github.com/sealtrace/sealtrace/reports"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "gen":
		fs := flag.NewFlagSet("gen", flag.ExitOnError)
		seed := fs.Uint64("seed", 1, "series seed")
		n := fs.Int("n", 10000, "number of reports")
		fs.Parse(os.Args[2:])
		if fs.NArg() != 1 {
			usage()
		}
		if err := os.MkdirAll(fs.Arg(0), 0o755); err != nil {
			fail(err)
		}
		if _, err := dmarcpeers.WriteDir(fs.Arg(0), *seed, *n, dmarcpeers.GenOptions{}); err != nil {
			fail(err)
		}
	case "read":
		w := bufio.NewWriterSize(os.Stdout, 1<<16)
		bad := 0
		err := reports.Walk(context.Background(), os.Args[2:], reports.Limits{}, func(path string, reps []*reports.Report, err error) error {
			if err != nil {
				bad++
				fmt.Fprintln(os.Stderr, err)
			}
			for _, r := range reps {
				b, err := r.JSON(nil)
				if err != nil {
					return err
				}
				w.Write(b)
				w.WriteByte('\n')
			}
			return nil
		})
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			fail(err)
		}
		if bad > 0 {
			os.Exit(1)
		}
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: dmarcbench gen [-seed S] [-n N] DIR | dmarcbench read DIR...")
	os.Exit(2)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "dmarcbench:", err)
	os.Exit(1)
}
