package server

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/paperpicks/paperpicks"
)

// A server-side failure is logged as an error; the same failure after the
// client went away is not, as it is no fault of the server.
func TestErrorsMiddlewareLogsAbandonedRequestsQuietly(t *testing.T) {
	gin.SetMode(gin.TestMode)
	var logs bytes.Buffer
	r := gin.New()
	r.Use(errorsMiddleware(slog.New(slog.NewTextHandler(&logs, nil))))
	r.GET("/x", func(c *gin.Context) {
		abort(c, paperpicks.Errorf(paperpicks.EUNAVAILABLE, "store unreachable"))
	})

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("live client: status %d, log %q; want 503 logged as an error", w.Code, logs.String())
	}

	logs.Reset()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w = httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil).WithContext(ctx))
	if strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "abandoned") {
		t.Errorf("client gone: log %q; want an info line, no error", logs.String())
	}
}
