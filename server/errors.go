package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/paperpicks/paperpicks"
)

// statusOf is the one place error codes become HTTP statuses.
var statusOf = map[string]int{
	paperpicks.EINVALID:       http.StatusBadRequest,
	paperpicks.EUNAUTHORIZED:  http.StatusUnauthorized,
	paperpicks.EFORBIDDEN:     http.StatusForbidden,
	paperpicks.ENOTFOUND:      http.StatusNotFound,
	paperpicks.ECONFLICT:      http.StatusConflict,
	paperpicks.EMISMATCH:      http.StatusConflict,
	paperpicks.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	paperpicks.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	paperpicks.ERATELIMIT:     http.StatusTooManyRequests,
	paperpicks.EUNAVAILABLE:   http.StatusServiceUnavailable,
	paperpicks.EINTERNAL:      http.StatusInternalServerError,
	paperpicks.EMETHOD:        http.StatusMethodNotAllowed,
}

// errorBody is the JSON error every failing request gets.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// errorsMiddleware turns the first error a handler recorded with c.Error
// into the JSON error body. Internal details are logged, never sent.
func errorsMiddleware(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		err := c.Errors[0].Err
		code := paperpicks.ErrorCode(err)
		if errors.Is(err, errContextDone(c)) && code == paperpicks.EINTERNAL {
			code = paperpicks.EUNAVAILABLE
		}
		status, ok := statusOf[code]
		if !ok {
			status = http.StatusInternalServerError
		}
		msg := paperpicks.ErrorMessage(err)
		switch {
		case status >= 500 && c.Request.Context().Err() != nil:
			// The client went away (or timed out) first: not a server fault.
			log.Info("request abandoned by its client", "method", c.Request.Method, "path", c.FullPath(), "err", err)
		case status >= 500:
			log.Error("request failed", "method", c.Request.Method, "path", c.FullPath(), "status", status, "err", err)
		}
		if code == paperpicks.EINTERNAL {
			msg = "internal error"
		}
		c.JSON(status, errorBody{Error: errorDetail{Code: code, Message: msg, Field: paperpicks.ErrorField(err)}})
	}
}

// errContextDone is the request context's error, if any: a client that
// went away is not a server fault.
func errContextDone(c *gin.Context) error {
	if err := c.Request.Context().Err(); err != nil {
		return err
	}
	return errSentinel
}

var errSentinel = errors.New("no context error")

// abort records err and stops the handler chain.
func abort(c *gin.Context, err error) {
	_ = c.Error(err)
	c.Abort()
}
