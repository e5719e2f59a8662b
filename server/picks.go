package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/rank"
)

// pickView is one pick with its paper, as the API shows it.
type pickView struct {
	Rank        int                 `json:"rank"`
	Score       float64             `json:"score"`
	Kind        paperpicks.PickKind `json:"kind"`
	Reason      string              `json:"reason,omitempty"`
	ReasonTitle string              `json:"reason_title,omitempty"`
	Paper       *paperpicks.Paper   `json:"paper"`
}

// getPicks serves a user's picks for ?date= (default: today in the user's
// time zone).
func (s *Server) getPicks(c *gin.Context) {
	ctx := c.Request.Context()
	u, err := s.users.Get(ctx, c.Param("id"))
	if err != nil {
		abort(c, err)
		return
	}
	date := c.Query("date")
	if date == "" {
		loc, err := time.LoadLocation(u.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		date = s.now().In(loc).Format(paperpicks.DateLayout)
	} else if _, err := rank.ParseDate(date); err != nil {
		abort(c, err)
		return
	}
	views, err := s.PickViews(c, u.ID, date)
	if err != nil {
		abort(c, err)
		return
	}
	if s.metrics != nil {
		s.metrics.PicksServed(len(views))
	}
	c.JSON(http.StatusOK, gin.H{"user_id": u.ID, "date": date, "picks": views})
}

// PickViews loads a user's picks for date with their papers; a date
// without picks is ENOTFOUND with a message saying whether it was run.
func (s *Server) PickViews(c *gin.Context, userID, date string) ([]pickView, error) {
	ctx := c.Request.Context()
	picks, err := s.store.GetPicks(ctx, userID, date)
	if paperpicks.IsCode(err, paperpicks.ENOTFOUND) {
		if run, rerr := s.store.GetRun(ctx, date); rerr != nil || run.Status != "ok" {
			return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no picks for %s: the daily run for that date has not happened", date)
		}
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no picks for %s: the user did not exist yet when that day's run happened", date)
	}
	if err != nil {
		return nil, err
	}
	papers, err := s.catalog.Papers(ctx, paperpicks.PickedPaperIDs(picks))
	if err != nil {
		return nil, err
	}
	views := make([]pickView, 0, len(picks))
	for _, p := range picks {
		v := pickView{Rank: p.Rank, Score: p.Score, Kind: p.Kind, Reason: p.Reason, Paper: papers[p.PaperID]}
		if r := papers[p.Reason]; r != nil {
			v.ReasonTitle = r.Title
		}
		if v.Paper == nil {
			v.Paper = &paperpicks.Paper{ID: p.PaperID}
		}
		views = append(views, v)
	}
	return views, nil
}

// trending serves GET /v1/trending?k=&days=.
func (s *Server) trending(c *gin.Context) {
	ctx := c.Request.Context()
	k, err := intParam(c, "k", defaultK)
	if err != nil {
		abort(c, err)
		return
	}
	cfg := s.ranker.Config()
	days, err := intParam(c, "days", cfg.TrendingDays)
	if err != nil {
		abort(c, err)
		return
	}
	if days > 365 {
		abort(c, paperpicks.FieldErrorf("days", "days must be at most 365, got %d", days))
		return
	}
	sp := s.catalog.Space()
	if sp == nil {
		c.JSON(http.StatusOK, gin.H{"days": days, "papers": []any{}})
		return
	}
	items, err := rank.Trending(ctx, s.store, sp.Index, s.now(), days, cfg.TrendingHalfLife, min(k, 100))
	if err != nil {
		abort(c, err)
		return
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.PaperID
	}
	papers, err := s.catalog.Papers(ctx, ids)
	if err != nil {
		abort(c, err)
		return
	}
	type trendView struct {
		*paperpicks.Paper
		Score float64 `json:"score"`
		Votes int     `json:"votes"`
	}
	out := make([]trendView, 0, len(items))
	for _, it := range items {
		if p := papers[it.PaperID]; p != nil {
			out = append(out, trendView{Paper: p, Score: it.Score, Votes: it.Votes})
		}
	}
	c.JSON(http.StatusOK, gin.H{"days": days, "papers": out})
}

// adminRank runs the daily run for ?date= (default: today in the run's time zone) now.
func (s *Server) adminRank(c *gin.Context) {
	loc := s.cfg.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	date := c.DefaultQuery("date", s.now().In(loc).Format(paperpicks.DateLayout))
	if _, err := rank.ParseDate(date); err != nil {
		abort(c, err)
		return
	}
	run, err := s.ranker.RunDaily(c.Request.Context(), date)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, run)
}
