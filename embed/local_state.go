package embed

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"

	"github.com/paperpicks/paperpicks"
)

// localFormat versions the persisted state and the embedding recipe; bump
// it when either changes, so old vectors are refused instead of mixed.
const localFormat = 1

// stateName names the vector space after the state's content, so a restart
// that loads the same state gives the same name and the same vectors.
func (l *Local) stateName() string {
	h := sha256.New()
	_ = l.writeState(h)
	return fmt.Sprintf("local-lsa-v%d-d%d-%s", localFormat, l.cfg.Dim, hex.EncodeToString(h.Sum(nil))[:10])
}

// MarshalBinary encodes the fitted state for the store.
func (l *Local) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	if err := l.writeState(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (l *Local) writeState(w io.Writer) error {
	bw := &binWriter{w: w}
	bw.u32(localFormat)
	c := l.cfg
	bw.u32(uint32(c.Dim))
	bw.u32(uint32(c.MaxVocab))
	bw.u32(uint32(c.MinDF))
	bw.u64(math.Float64bits(c.MaxDF))
	bw.bool(c.Bigrams)
	bw.u32(uint32(c.MaxFitDocs))
	bw.u32(uint32(c.PowerIters))
	bw.u64(c.Seed)
	bw.u32(uint32(l.fitDocs))
	bw.u32(uint32(len(l.terms)))
	for i, t := range l.terms {
		bw.u32(uint32(len(t)))
		bw.bytes([]byte(t))
		bw.u32(math.Float32bits(l.idf[i]))
	}
	buf := make([]byte, 4*len(l.proj))
	for i, x := range l.proj {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
	}
	bw.bytes(buf)
	return bw.err
}

// LoadLocal decodes a state written by MarshalBinary.
func LoadLocal(state []byte) (*Local, error) {
	br := &binReader{b: state}
	if v := br.u32(); v != localFormat {
		return nil, paperpicks.Errorf(paperpicks.EMISMATCH, "local embedder state has format %d, this build reads %d; run `paperpicks reindex`", v, localFormat)
	}
	var c LocalConfig
	c.Dim = int(br.u32())
	c.MaxVocab = int(br.u32())
	c.MinDF = int(br.u32())
	c.MaxDF = math.Float64frombits(br.u64())
	c.Bigrams = br.bool()
	c.MaxFitDocs = int(br.u32())
	c.PowerIters = int(br.u32())
	c.Seed = br.u64()
	l := &Local{cfg: c, fitDocs: int(br.u32())}
	nterms := int(br.u32())
	if br.err != nil || nterms > len(state) || c.Dim <= 0 || c.Dim > 1<<16 {
		return nil, corruptState(br.err)
	}
	l.terms = make([]string, nterms)
	l.idf = make([]float32, nterms)
	l.vocab = make(map[string]int32, nterms)
	for i := range l.terms {
		n := int(br.u32())
		l.terms[i] = string(br.bytes(n))
		l.idf[i] = math.Float32frombits(br.u32())
		l.vocab[l.terms[i]] = int32(i)
	}
	raw := br.bytes(4 * nterms * c.Dim)
	if br.err != nil || len(br.b) != 0 {
		return nil, corruptState(br.err)
	}
	l.proj = make([]float32, nterms*c.Dim)
	for i := range l.proj {
		l.proj[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	l.name = l.stateName()
	return l, nil
}

func corruptState(err error) error {
	return paperpicks.WrapError(paperpicks.EINTERNAL, err, "local embedder state is corrupt; run `paperpicks reindex` to refit")
}

type binWriter struct {
	w   io.Writer
	err error
}

func (b *binWriter) bytes(p []byte) {
	if b.err == nil {
		_, b.err = b.w.Write(p)
	}
}
func (b *binWriter) u32(v uint32) { b.bytes(binary.LittleEndian.AppendUint32(nil, v)) }
func (b *binWriter) u64(v uint64) { b.bytes(binary.LittleEndian.AppendUint64(nil, v)) }
func (b *binWriter) bool(v bool) {
	if v {
		b.bytes([]byte{1})
	} else {
		b.bytes([]byte{0})
	}
}

type binReader struct {
	b   []byte
	err error
}

func (r *binReader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *binReader) u32() uint32 {
	if p := r.bytes(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (r *binReader) u64() uint64 {
	if p := r.bytes(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (r *binReader) bool() bool {
	p := r.bytes(1)
	return p != nil && p[0] == 1
}
