package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// lineReader yields the lines of a JSON-lines source. Unlike bufio.Scanner,
// a line over MaxLineBytes does not end the scan: it is skipped (reported by
// the caller) and reading goes on with the next line, in constant memory.
type lineReader struct {
	br   *bufio.Reader
	buf  []byte
	line int // number of the line last returned, from 1
}

// next returns the next line without its line ending. tooLong reports a line
// over MaxLineBytes, whose content is then not returned. err is io.EOF after
// the last line, or the read error.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	for {
		frag, err := lr.br.ReadSlice('\n')
		if !tooLong {
			if len(lr.buf)+len(frag) > MaxLineBytes+2 { // room for "\r\n"
				tooLong = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, frag...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && (len(lr.buf) > 0 || tooLong):
			// A last line without a newline is still a line.
		case err != nil:
			return nil, false, err
		}
		lr.line++
		line = bytes.TrimSuffix(bytes.TrimSuffix(lr.buf, []byte("\n")), []byte("\r"))
		if !tooLong && len(line) > MaxLineBytes {
			tooLong = true
		}
		if tooLong {
			return nil, true, nil
		}
		return line, false, nil
	}
}
