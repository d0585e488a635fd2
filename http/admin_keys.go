package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// CodeConflict refuses a change the resource's state does not allow, such
// as changing a revoked key.
const CodeConflict = "CONFLICT"

// KeyAdmin is what the admin key routes need; a nil field makes its route
// answer 503.
type KeyAdmin struct {
	Issue interface {
		Handle(context.Context, commands.IssueKey) (commands.IssuedKey, error)
	}
	ChangeTier interface {
		Handle(context.Context, commands.ChangeKeyTier) error
	}
	Revoke interface {
		Handle(context.Context, commands.RevokeKey) error
	}
	List interface {
		ListKeys(context.Context) ([]readmodel.APIKey, error)
	}
}

// IssuedKeyResponse is the one answer that shows a raw key.
type IssuedKeyResponse struct {
	KeyID  string `json:"key_id"`
	Key    string `json:"key"`
	Prefix string `json:"prefix"`
	Email  string `json:"email"`
	Tier   string `json:"tier"`
}

// KeyResponse describes a key without the key or its hash.
type KeyResponse struct {
	KeyID      string     `json:"key_id"`
	Email      string     `json:"email"`
	Tier       string     `json:"tier"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// registerAdminRoutes adds the admin routes — key administration and the
// export of the log — for admin keys only.
func registerAdminRoutes(api gin.IRouter, d Deps) {
	h := adminKeyRoutes{admin: d.KeyAdmin, log: orDiscard(d.Logger), unavailable: d.Unavailable}
	admin := api.Group("/admin", requireTier(domain.TierAdmin))
	registerAdminEventRoutes(admin, d)
	registerAdminProjectionRoutes(admin, d)
	admin.POST("/keys", h.issue)
	admin.GET("/keys", h.list)
	admin.PATCH("/keys/:key_id", h.changeTier)
	admin.DELETE("/keys/:key_id", h.revoke)
}

type adminKeyRoutes struct {
	admin KeyAdmin
	log   *slog.Logger
	// unavailable is Deps.Unavailable.
	unavailable func(error) bool
}

func (h adminKeyRoutes) issue(c *gin.Context) {
	if h.admin.Issue == nil {
		notConfigured(c)
		return
	}
	var body struct {
		Email string `json:"email"`
		Tier  string `json:"tier"`
	}
	if !readAdminBody(c, &body, "email, tier") {
		return
	}
	tier, ok := parseTierParam(c, body.Tier)
	if !ok {
		return
	}
	issued, err := h.admin.Issue.Handle(c.Request.Context(), commands.IssueKey{
		Owner: body.Email, Tier: tier, IssuedBy: actorOf(c), Metadata: requestMetadata(c),
	})
	if err != nil {
		h.failed(c, "issue key", err)
		return
	}
	c.Header("Cache-Control", "no-store")
	writeJSON(c, http.StatusCreated, IssuedKeyResponse{
		KeyID: issued.KeyID.String(), Key: issued.Key.Reveal(), Prefix: issued.Prefix,
		Email: issued.Owner, Tier: string(issued.Tier),
	})
}

func (h adminKeyRoutes) list(c *gin.Context) {
	if h.admin.List == nil {
		notConfigured(c)
		return
	}
	keys, err := h.admin.List.ListKeys(c.Request.Context())
	if err != nil {
		h.failed(c, "list keys", err)
		return
	}
	out := make([]KeyResponse, len(keys))
	for i, k := range keys {
		out[i] = KeyResponse{
			KeyID: k.KeyID.String(), Email: k.Owner, Tier: string(k.Tier), Prefix: k.Prefix,
			CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt,
		}
	}
	writeJSON(c, http.StatusOK, gin.H{"keys": out})
}

func (h adminKeyRoutes) changeTier(c *gin.Context) {
	if h.admin.ChangeTier == nil {
		notConfigured(c)
		return
	}
	id, ok := keyIDParam(c)
	if !ok {
		return
	}
	var body struct {
		Tier string `json:"tier"`
	}
	if !readAdminBody(c, &body, "tier") {
		return
	}
	tier, ok := parseTierParam(c, body.Tier)
	if !ok {
		return
	}
	err := h.admin.ChangeTier.Handle(c.Request.Context(), commands.ChangeKeyTier{
		KeyID: id, Tier: tier, ChangedBy: actorOf(c), Metadata: requestMetadata(c),
	})
	if err != nil {
		h.failed(c, "change key tier", err)
		return
	}
	writeJSON(c, http.StatusOK, gin.H{"key_id": id.String(), "tier": string(tier)})
}

func (h adminKeyRoutes) revoke(c *gin.Context) {
	if h.admin.Revoke == nil {
		notConfigured(c)
		return
	}
	id, ok := keyIDParam(c)
	if !ok {
		return
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if !readAdminBody(c, &body, "reason") {
		return
	}
	err := h.admin.Revoke.Handle(c.Request.Context(), commands.RevokeKey{
		KeyID: id, RevokedBy: actorOf(c), Reason: body.Reason, Metadata: requestMetadata(c),
	})
	if err != nil {
		h.failed(c, "revoke key", err)
		return
	}
	c.Status(http.StatusNoContent)
}

// failed maps the key commands' refusals to the API's codes; anything else
// is logged and answered as INTERNAL without its text.
func (h adminKeyRoutes) failed(c *gin.Context, what string, err error) {
	switch {
	case errors.Is(err, domain.ErrInvalidEmail):
		abortWithError(c, http.StatusBadRequest, CodeInvalidParameter, "email must be a bare address like ana@example.com", map[string]any{"parameter": "email"})
	case errors.Is(err, domain.ErrUnknownTier):
		abortWithError(c, http.StatusBadRequest, CodeInvalidParameter, "tier must be standard, power or admin", map[string]any{"parameter": "tier"})
	case errors.Is(err, domain.ErrUnknownKey):
		abortWithError(c, http.StatusNotFound, CodeNotFound, "no such API key", map[string]any{"key_id": c.Param("key_id")})
	case errors.Is(err, domain.ErrKeyRevoked):
		abortWithError(c, http.StatusConflict, CodeConflict, "the API key is revoked", map[string]any{"key_id": c.Param("key_id")})
	default:
		h.log.LogAttrs(c.Request.Context(), slog.LevelError, what,
			slog.String("request_id", RequestID(c.Request.Context())), slog.String("error", err.Error()))
		abortFailed(c, h.unavailable, err)
	}
}

func notConfigured(c *gin.Context) {
	abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable, "key administration is not configured on this server", nil)
}

func keyIDParam(c *gin.Context) (uuid.UUID, bool) {
	id, err := uuid.Parse(c.Param("key_id"))
	if err != nil {
		abortWithError(c, http.StatusBadRequest, CodeInvalidParameter, "key_id must be a UUID", map[string]any{"parameter": "key_id"})
		return uuid.Nil, false
	}
	return id, true
}

func parseTierParam(c *gin.Context, s string) (domain.Tier, bool) {
	t, err := domain.ParseTier(s)
	if err != nil {
		abortWithError(c, http.StatusBadRequest, CodeInvalidParameter, "tier must be standard, power or admin", map[string]any{"parameter": "tier"})
		return "", false
	}
	return t, true
}

// actorOf names who makes a change: the owner of the calling key.
func actorOf(c *gin.Context) string {
	p, _ := principalOf(c)
	return p.Owner
}

func requestMetadata(c *gin.Context) domain.Metadata {
	id := RequestID(c.Request.Context())
	return domain.Metadata{CorrelationID: id, RequestID: id, Actor: actorOf(c)}
}

// readAdminBody decodes a JSON object body with only the named fields, by
// the rules every body follows (readJSONBody: one value, application/json);
// an empty body leaves out unchanged.
func readAdminBody(c *gin.Context, out any, fields string) bool {
	_, ok := readJSONBody(c, out, func(err error) (string, string) {
		if name, found := strings.CutPrefix(err.Error(), "json: unknown field "); found {
			return fmt.Sprintf("unknown field %s in the body (allowed: %s)", echo(name), fields), "body"
		}
		return fmt.Sprintf("the body must be one JSON object with the fields %s", fields), "body"
	})
	return ok
}

func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
