// Package server is the HTTP API of paperpicks, on Gin. Handlers decode and
// validate requests, call the catalog and ranker with the request's
// context, and leave every error to one middleware that maps error codes
// to statuses and JSON bodies.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/metrics"
	"github.com/paperpicks/paperpicks/rank"
	"github.com/paperpicks/paperpicks/store"
	"github.com/paperpicks/paperpicks/users"
)

// Config is what the server needs from the configuration.
type Config struct {
	AdminToken   string
	MaxBodyBytes int64
	// OpenSignup lets anyone create a user with POST /v1/users; otherwise
	// only the admin token may.
	OpenSignup bool
	// TimeZone dates the daily run ("today" for POST /v1/admin/rank).
	TimeZone *time.Location
	// RateLimit is the requests per second each client may send on
	// average, RateBurst how many at once; 0 disables limiting (limits.go).
	RateLimit float64
	RateBurst int
	// TrustedProxies are the addresses or CIDRs of reverse proxies whose
	// X-Forwarded-For names the client; empty trusts none.
	TrustedProxies []string
}

// Deps are the services behind the routes.
type Deps struct {
	Catalog  *catalog.Catalog
	Users    *users.Service
	Profiles *rank.Profiles
	Ranker   *rank.Ranker
	Store    Store
	Metrics  *metrics.Metrics // nil: no /metrics
	Now      func() time.Time
	Web      *Web // nil: no reader pages, email links or feeds (web.go)
}

// Store is what handlers read directly from storage.
type Store interface {
	Pinger
	VoteLister
	rank.TrendingStore
	GetPicks(ctx context.Context, userID, date string) ([]paperpicks.Pick, error)
	GetRun(ctx context.Context, date string) (*store.Run, error)
}

// Pinger reports whether storage is reachable (for /readyz).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server holds the router and its dependencies.
type Server struct {
	cfg      Config
	log      *slog.Logger
	catalog  *catalog.Catalog
	users    *users.Service
	profiles *rank.Profiles
	ranker   *rank.Ranker
	store    Store
	metrics  *metrics.Metrics
	now      func() time.Time
	router   *gin.Engine
	webCfg   *Web
	web      *web
}

// New builds the server and its routes.
func New(cfg Config, d Deps, log *slog.Logger) *Server {
	gin.SetMode(gin.ReleaseMode)
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Server{cfg: cfg, log: log, catalog: d.Catalog, users: d.Users, profiles: d.Profiles, ranker: d.Ranker,
		store: d.Store, metrics: d.Metrics, now: d.Now, router: gin.New(), webCfg: d.Web}
	s.router.HandleMethodNotAllowed = true
	s.router.Use(s.recoverer, s.observe, errorsMiddleware(log), s.limits())
	s.routes()
	return s
}

// Handler is the server as an http.Handler.
func (s *Server) Handler() http.Handler { return s.router }

// routes is the one place the API's URLs are wired.
func (s *Server) routes() {
	r := s.router
	r.NoRoute(func(c *gin.Context) {
		abort(c, paperpicks.Errorf(paperpicks.ENOTFOUND, "no route %s %s", c.Request.Method, c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		abort(c, paperpicks.Errorf(paperpicks.EMETHOD, "method %s not allowed on %s", c.Request.Method, c.Request.URL.Path))
	})
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.readyz)
	if s.metrics != nil {
		r.GET("/metrics", gin.WrapH(s.metrics.Handler()))
	}

	v1 := r.Group("/v1")
	v1.POST("/papers", s.requireAdmin, s.postPapers)
	// Old-style arXiv ids contain a slash (hep-th/9901001), so the paper
	// routes take the rest of the path and split off "/similar".
	v1.GET("/papers/*rest", s.paperRoutes)
	v1.GET("/search", s.search)
	v1.GET("/trending", s.trending)
	v1.POST("/admin/rank", s.requireAdmin, s.adminRank)

	v1.POST("/users", s.createUser)
	u := v1.Group("/users/:id", s.requireUser)
	u.GET("", s.getUser)
	u.PATCH("", s.updateUser)
	u.DELETE("", s.deleteUser)
	u.POST("/feedback", s.postFeedback)
	u.GET("/likes", s.getLikes)
	u.POST(`/likes\:import`, s.importLikes)
	u.GET("/picks", s.getPicks)
	s.webRoutes()
}

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		abort(c, paperpicks.WrapError(paperpicks.EUNAVAILABLE, err, "storage is not reachable"))
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "papers": s.catalog.Len()})
}

// recoverer turns a panic into a logged 500 with the JSON error body.
func (s *Server) recoverer(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "path", c.Request.URL.Path, "panic", v, "stack", string(debug.Stack()))
			c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody{Error: errorDetail{Code: paperpicks.EINTERNAL, Message: "internal error"}})
		}
	}()
	c.Next()
}

// observe logs every request at debug level and records its metrics by
// route template (an unmatched path counts as "unmatched").
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	took := time.Since(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	if s.metrics != nil {
		s.metrics.ObserveHTTP(c.Request.Method, route, c.Writer.Status(), took)
	}
	s.log.Debug("request", "method", c.Request.Method, "path", c.Request.URL.Path, "status", c.Writer.Status(), "took_ms", took.Milliseconds())
}
