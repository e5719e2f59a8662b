package rank

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/store"
)

// A Model is the catalog-wide part of the whitened and learned strategies
// for one vector space: the whitening of the catalog, and the transform
// learned from every user's likes. Computing it takes seconds (whitening)
// to minutes (learning), so it is trained after a daily run and stored;
// runs use the latest one of their space.
type Model struct {
	Space     string
	Whitening *Transform
	Learned   *Transform // nil until learned
	Likes     int        // likes it was learned from
	TrainedAt time.Time
}

// ModelStore persists models and reads what training needs.
type ModelStore interface {
	GetSetting(ctx context.Context, name string) ([]byte, error)
	PutSetting(ctx context.Context, name string, value []byte) error
	ScanVotes(ctx context.Context, fn func(userID string, votes []store.Vote) error) error
}

func modelKey(space string) string { return "rank.model/" + space }

// LoadModel returns the stored model of a space (ENOTFOUND if none).
func LoadModel(ctx context.Context, st ModelStore, space string) (*Model, error) {
	b, err := st.GetSetting(ctx, modelKey(space))
	if err != nil {
		return nil, err
	}
	m, err := decodeModel(b)
	if err != nil {
		return nil, fmt.Errorf("model of %s: %w", space, err)
	}
	if m.Space != space {
		return nil, paperpicks.NotFound("model", space)
	}
	return m, nil
}

// TrainModel computes the whitening of the space's catalog and, when learn
// is set, learns the transform from every user's current up votes; the
// model is stored and returned.
func TrainModel(ctx context.Context, st ModelStore, sp *catalog.Space, learn bool, cfg LearnConfig, now time.Time) (*Model, error) {
	ids, cat := sp.Index.Since(time.Time{}, now.Add(365*24*time.Hour))
	if cat.Rows < 2 {
		return nil, paperpicks.Errorf(paperpicks.EUNPROCESSABLE, "the catalog is too small to train a model")
	}
	g, err := NewGlobal(cat, nil, 0)
	if err != nil {
		return nil, err
	}
	m := &Model{Space: sp.Name(), Whitening: g.Whitening, TrainedAt: now.UTC()}
	if learn {
		row := make(map[string]int, len(ids))
		for i, id := range ids {
			row[id] = i
		}
		var likes [][]int
		err := st.ScanVotes(ctx, func(_ string, votes []store.Vote) error {
			var l []int
			for _, v := range votes {
				if i, ok := row[v.PaperID]; ok && v.Value == paperpicks.VoteUp {
					l = append(l, i)
				}
			}
			if len(l) >= 2 { // one like is left out, one builds the profile
				likes = append(likes, l)
				m.Likes += len(l)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(likes) > 0 {
			if err := g.Learn(ctx, cat, likes, cfg); err != nil {
				return nil, err
			}
			m.Learned = g.Learned
		}
	}
	if err := st.PutSetting(ctx, modelKey(m.Space), m.encode()); err != nil {
		return nil, err
	}
	return m, nil
}

// Global returns the strategy inputs of this model for a run.
func (m *Model) Global(catalogMean []float32) *Global {
	return &Global{CatalogMean: catalogMean, Whitening: m.Whitening, Learned: m.Learned}
}

// modelFormat versions the encoding.
const modelFormat = 1

func (m *Model) encode() []byte {
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	w(uint32(modelFormat))
	w(uint32(len(m.Space)))
	b.WriteString(m.Space)
	w(m.TrainedAt.UnixMicro())
	w(int64(m.Likes))
	for _, t := range []*Transform{m.Whitening, m.Learned} {
		if t == nil {
			w(uint32(0))
			continue
		}
		w(uint32(t.Dim))
		w(t.A)
	}
	return b.Bytes()
}

func decodeModel(data []byte) (*Model, error) {
	r := bytes.NewReader(data)
	rd := func(v any) error { return binary.Read(r, binary.LittleEndian, v) }
	var format, n uint32
	if err := rd(&format); err != nil || format != modelFormat {
		return nil, fmt.Errorf("unknown model format %d (%v)", format, err)
	}
	if err := rd(&n); err != nil || int(n) > r.Len() {
		return nil, io.ErrUnexpectedEOF
	}
	space := make([]byte, n)
	if _, err := io.ReadFull(r, space); err != nil {
		return nil, err
	}
	m := &Model{Space: string(space)}
	var trained, likes int64
	if err := rd(&trained); err != nil {
		return nil, err
	}
	if err := rd(&likes); err != nil {
		return nil, err
	}
	m.TrainedAt, m.Likes = time.UnixMicro(trained).UTC(), int(likes)
	for _, dst := range []**Transform{&m.Whitening, &m.Learned} {
		var dim uint32
		if err := rd(&dim); err != nil {
			return nil, err
		}
		if dim == 0 {
			continue
		}
		if dim > 1<<14 || int(dim)*int(dim)*4 > r.Len() {
			return nil, io.ErrUnexpectedEOF
		}
		t := &Transform{Dim: int(dim), A: make([]float32, int(dim)*int(dim))}
		if err := rd(t.A); err != nil {
			return nil, err
		}
		for _, x := range t.A {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("model has a non-finite entry")
			}
		}
		*dst = t
	}
	return m, nil
}
