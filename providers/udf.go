package providers

import "io"

func isUDF(r io.ReaderAt) bool { return false }

func openUDF(r io.ReaderAt) (volume, error) { return nil, ErrFilesystem }
