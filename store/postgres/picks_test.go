package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/pgtest"
)

// Two instances: one reruns the daily picks while the other delivers
// them. Once delivered, picks must never be replaced, so no date may end
// with undelivered picks beside (or instead of) delivered ones.
func TestDeliveryRacesRerun(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	a, b := open(t, url), open(t, url)
	if err := a.CreateUser(ctx, &paperpicks.User{ID: "u1", TimeZone: "UTC", PicksPerDay: 2}, "h1"); err != nil {
		t.Fatal(err)
	}
	pick := func(date string, rank int, paper string) paperpicks.Pick {
		return paperpicks.Pick{UserID: "u1", Date: date, Rank: rank, PaperID: paper, Kind: paperpicks.PickPersonal}
	}
	const days = 40
	var wg sync.WaitGroup
	for d := range days {
		date := fmt.Sprintf("2026-01-%02d", d+1)
		if err := a.SavePicks(ctx, date, map[string][]paperpicks.Pick{"u1": {pick(date, 1, "p0")}}); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for i := range 5 {
				ps := []paperpicks.Pick{pick(date, 1, fmt.Sprint("a", i)), pick(date, 2, fmt.Sprint("b", i))}
				if err := a.SavePicks(ctx, date, map[string][]paperpicks.Pick{"u1": ps}); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			if err := b.MarkDelivered(ctx, "u1", date, time.Now()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var mixed int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT date FROM picks GROUP BY date
		HAVING bool_or(delivered_at > '-infinity') AND bool_or(delivered_at = '-infinity')) AS d`).Scan(&mixed)
	if err != nil || mixed != 0 {
		t.Errorf("%d dates mix delivered and undelivered picks (%v)", mixed, err)
	}
	var undelivered int
	if err := conn.QueryRow(ctx, `SELECT count(DISTINCT date) FROM picks WHERE delivered_at = '-infinity'`).Scan(&undelivered); err != nil || undelivered != 0 {
		t.Errorf("%d dates lost their delivered picks to a rerun (%v)", undelivered, err)
	}
}
