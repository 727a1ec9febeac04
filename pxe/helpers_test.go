package pxe

import (
	"bufio"
	"io"

	"github.com/flint-provision/flint/stages"
)

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

var stagesReportFailed = stages.Report{Result: "failed", Error: &stages.ReportError{Stage: "files", Message: "disk full"}}
