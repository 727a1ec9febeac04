// Command testsummary reads `go test -json` output and prints what a person needs from a
// whole-suite run: each package's result, every skipped test with its reason (a tier that
// cannot run here must say so), the output of every failed test, and a closing line
// "N passed, N failed, N skipped". It exits 1 when anything failed.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of test2json output.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

type key struct{ pkg, test string }

func main() {
	os.Exit(run(os.Stdin, os.Stdout))
}

func run(in io.Reader, out io.Writer) int {
	output := map[key]*strings.Builder{}
	var passed, failed, skipped int
	var skips, failures []string
	var pkgFailed []string
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(out, sc.Text()) // build errors and the like are not JSON
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output":
			if output[k] == nil {
				output[k] = &strings.Builder{}
			}
			output[k].WriteString(e.Output)
		case "pass":
			if e.Test == "" {
				fmt.Fprintf(out, "ok   %s %.1fs\n", e.Package, e.Elapsed)
			} else {
				passed++
			}
			delete(output, k)
		case "skip":
			if e.Test == "" {
				fmt.Fprintf(out, "?    %s [no test files]\n", e.Package)
				continue
			}
			skipped++
			skips = append(skips, fmt.Sprintf("SKIP %s %s: %s", e.Package, e.Test, reason(output[k])))
			delete(output, k)
		case "fail":
			if e.Test == "" {
				pkgFailed = append(pkgFailed, e.Package)
				fmt.Fprintf(out, "FAIL %s %.1fs\n", e.Package, e.Elapsed)
				if b := output[k]; b != nil {
					fmt.Fprint(out, b.String())
				}
				continue
			}
			failed++
			text := ""
			if b := output[k]; b != nil {
				text = b.String()
			}
			failures = append(failures, fmt.Sprintf("--- FAIL %s %s\n%s", e.Package, e.Test, text))
		}
	}
	sort.Strings(skips)
	for _, s := range skips {
		fmt.Fprintln(out, s)
	}
	for _, f := range failures {
		fmt.Fprint(out, f)
	}
	if failed == 0 && len(pkgFailed) > 0 {
		failed = len(pkgFailed) // a package that failed to build or panicked outside a test
	}
	fmt.Fprintf(out, "%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 {
		return 1
	}
	return 0
}

// reason picks the skip message out of a skipped test's output.
func reason(b *strings.Builder) string {
	if b == nil {
		return "(no reason given)"
	}
	var lines []string
	for _, l := range strings.Split(b.String(), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return "(no reason given)"
	}
	return lines[len(lines)-1]
}
