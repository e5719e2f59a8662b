package rank_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/rank"
)

func TestModelTrainStoreAndUse(t *testing.T) {
	ctx := context.Background()
	st := openSQLite(t)
	w := newWorld(t, st, rank.DailyConfig{Strategy: rank.Learned{Beta: 0.5}, Learn: rank.LearnConfig{Epochs: 1, Batch: 16, Negatives: 32, LR: 0.01, Spread: 0.67, MaxPairs: 1000, Seed: 1}})
	if _, err := rank.LoadModel(ctx, st, w.cat.Space().Name()); paperpicks.ErrorCode(err) != paperpicks.ENOTFOUND {
		t.Fatalf("model before training: %v", err)
	}
	for i := 0; i < 6; i++ {
		w.user(t, fmt.Sprintf("u%d", i), 5, w.papers[i*5], w.papers[i*5+1], w.papers[i*5+2])
	}
	// The first run computes and stores the whitening on its own.
	if _, err := w.ranker.RunDaily(ctx, "2026-11-26"); err != nil {
		t.Fatal(err)
	}
	m, err := rank.LoadModel(ctx, st, w.cat.Space().Name())
	if err != nil || m.Whitening == nil || m.Learned != nil {
		t.Fatalf("model after the first run = %+v, %v; want the whitening only", m, err)
	}
	// Training adds the learned transform; the round trip keeps it exactly.
	trained, err := w.ranker.Train(ctx)
	if err != nil || trained.Learned == nil || trained.Likes != 18 {
		t.Fatalf("Train = %+v, %v", trained, err)
	}
	loaded, err := rank.LoadModel(ctx, st, w.cat.Space().Name())
	if err != nil || loaded.Likes != 18 || !loaded.TrainedAt.Equal(trained.TrainedAt.Truncate(time.Microsecond)) {
		t.Fatalf("loaded = %+v, %v", loaded, err)
	}
	for i := range trained.Learned.A {
		if loaded.Learned.A[i] != trained.Learned.A[i] {
			t.Fatalf("learned transform changed in the store at %d", i)
		}
	}
	if err := w.ranker.TrainIfStale(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	if again, _ := rank.LoadModel(ctx, st, w.cat.Space().Name()); !again.TrainedAt.Equal(loaded.TrainedAt) {
		t.Error("TrainIfStale retrained a fresh model")
	}
	// Runs use it: picks are personal and explained.
	if _, err := w.ranker.RunDaily(ctx, "2026-11-27"); err != nil {
		t.Fatal(err)
	}
	p := picks(t, st, "u0", "2026-11-27")
	if len(p) != 5 || p[0].Kind != paperpicks.PickPersonal || p[0].Reason == "" {
		t.Errorf("picks with the learned model = %s", ids(p))
	}
	// A corrupt stored model is an error, not a silent fallback.
	st.PutSetting(ctx, "rank.model/"+w.cat.Space().Name(), []byte{1, 0, 0, 0, 200})
	if _, err := rank.LoadModel(ctx, st, w.cat.Space().Name()); err == nil {
		t.Error("a truncated model loaded")
	}
}

func TestLinearProfilePrefersThePositives(t *testing.T) {
	// A catalog spread over four directions; the user liked two papers
	// along the first. The per-user model must score a new paper along
	// the first direction above one along the catalog's common direction.
	var rows [][]float32
	for i := 0; i < 200; i++ {
		v := make([]float32, 4)
		v[i%4] = 1
		v[(i+1)%4] = 0.3
		rows = append(rows, v)
	}
	cat := rank.NewMatrix(rows, 4)
	g, err := rank.NewGlobal(cat, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := &rank.Signals{Liked: []rank.Voted{{Vector: []float32{1, 0.1, 0, 0}}, {Vector: []float32{0.9, 0, 0.2, 0}}}}
	p, ok := rank.Linear{Kappa: 4}.Build(s, g)
	if !ok {
		t.Fatal("no profile")
	}
	w := p.Vectors[0]
	score := func(x []float32) float32 { return w[0]*x[0] + w[1]*x[1] + w[2]*x[2] + w[3]*x[3] }
	if near, far := score([]float32{1, 0, 0, 0}), score([]float32{0, 0, 0, 1}); near <= far {
		t.Errorf("score of a paper like the likes %.3f <= one unlike them %.3f", near, far)
	}
	if _, ok := (rank.Linear{Kappa: 4}).Build(&rank.Signals{}, g); ok {
		t.Error("a user without likes got a profile")
	}
}
