package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
)

// The `partnerforge keys` subcommands. Each is a plain function of its
// parsed arguments; newKeysCmd only parses.

// newKeysCmd is `partnerforge keys create|list|revoke|set-tier`.
func newKeysCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "keys",
		Short: "issue, list, revoke and re-tier API keys",
	})
	var (
		email, tier, reason string
		asJSON              bool
	)
	withConfig := func(fn func(Config) error) error {
		cfg, _, err := a.setup()
		if err != nil {
			return err
		}
		return fn(cfg)
	}
	create := &cobra.Command{
		Use:   "create --email EMAIL --tier standard|power|admin",
		Short: "issue an API key; prints it this once",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case email == "":
				return usageError("keys create: --email is missing")
			case tier == "":
				return usageError("keys create: --tier is missing (standard, power or admin)")
			}
			return withConfig(func(cfg Config) error { return keysCreate(a.ctx, cfg, email, tier, asJSON, a.stdout) })
		},
	}
	create.Flags().StringVar(&email, "email", "", "the key owner's email")
	create.Flags().StringVar(&tier, "tier", "", "standard, power or admin")
	create.Flags().BoolVar(&asJSON, "json", false, "print one JSON object (key_id, key, prefix, tier, email)")
	list := &cobra.Command{
		Use:   "list",
		Short: "every key, without the keys themselves",
		Args:  exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			return withConfig(func(cfg Config) error { return keysList(a.ctx, cfg, asJSON, a.stdout) })
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	revoke := &cobra.Command{
		Use:   "revoke KEY_ID",
		Short: "stop a key working, on every instance within seconds",
		Args:  exactArgs("the key id"),
		RunE: func(_ *cobra.Command, args []string) error {
			return withConfig(func(cfg Config) error { return keysRevoke(a.ctx, cfg, args[0], reason, a.stdout) })
		},
	}
	revoke.Flags().StringVar(&reason, "reason", "", "why, kept with the revocation")
	setTier := &cobra.Command{
		Use:   "set-tier KEY_ID standard|power|admin",
		Short: "change a key's tier",
		Args:  exactArgs("the key id", "the tier"),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 1 {
				return []string{"standard", "power", "admin"}, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			return withConfig(func(cfg Config) error { return keysSetTier(a.ctx, cfg, args[0], args[1], a.stdout) })
		},
	}
	cmd.AddCommand(create, list, revoke, setTier)
	return cmd
}

// createdKey is `keys create --json`: the one place the raw key is printed.
type createdKey struct {
	KeyID  string `json:"key_id"`
	Key    string `json:"key"`
	Prefix string `json:"prefix"`
	Tier   string `json:"tier"`
	Email  string `json:"email"`
}

// keysCreate issues a key and prints it, once.
func keysCreate(ctx context.Context, cfg Config, email, tier string, asJSON bool, out io.Writer) error {
	hasher, err := cfg.keyHasher()
	if err != nil {
		return err
	}
	t, err := domain.ParseTier(tier)
	if err != nil {
		return fmt.Errorf("keys create: %w", err)
	}
	return withKeys(ctx, cfg, func(store *postgres.EventStore, _ *pgxpool.Pool) error {
		k, err := commands.NewIssueKeyHandler(store, hasher, time.Now).Handle(ctx, commands.IssueKey{Owner: email, Tier: t, IssuedBy: defaultActor()})
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(out).Encode(createdKey{KeyID: k.KeyID.String(), Key: k.Key.Reveal(), Prefix: k.Prefix, Tier: string(k.Tier), Email: k.Owner})
		}
		fmt.Fprintf(out, "key id  %s\nowner   %s\ntier    %s\nkey     %s\n\nThe key is shown this once; store it now.\n", k.KeyID, k.Owner, k.Tier, k.Key.Reveal())
		return nil
	})
}

// keysList prints every key without the key or its hash.
func keysList(ctx context.Context, cfg Config, asJSON bool, out io.Writer) error {
	return withKeys(ctx, cfg, func(_ *postgres.EventStore, pool *pgxpool.Pool) error {
		keys, err := postgres.NewAPIKeys(pool).ListKeys(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(out).Encode(keys)
		}
		w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "KEY ID\tPREFIX\tOWNER\tTIER\tCREATED\tLAST USED\tREVOKED")
		for _, k := range keys {
			fmt.Fprintf(w, "%s\t%s…\t%s\t%s\t%s\t%s\t%s\n", k.KeyID, k.Prefix, k.Owner, k.Tier,
				k.CreatedAt.UTC().Format(time.RFC3339), optTime(k.LastUsedAt), optTime(k.RevokedAt))
		}
		return w.Flush()
	})
}

// keysRevoke revokes a key.
func keysRevoke(ctx context.Context, cfg Config, keyID, reason string, out io.Writer) error {
	id, err := uuid.Parse(keyID)
	if err != nil {
		return fmt.Errorf("keys revoke: key id %q is not a UUID: %w", keyID, errUsage)
	}
	return withKeys(ctx, cfg, func(store *postgres.EventStore, _ *pgxpool.Pool) error {
		if err := commands.NewRevokeKeyHandler(store, time.Now).Handle(ctx, commands.RevokeKey{KeyID: id, RevokedBy: defaultActor(), Reason: reason}); err != nil {
			return err
		}
		fmt.Fprintf(out, "revoked %s\n", id)
		return nil
	})
}

// keysSetTier moves a key to another tier.
func keysSetTier(ctx context.Context, cfg Config, keyID, tier string, out io.Writer) error {
	id, err := uuid.Parse(keyID)
	if err != nil {
		return fmt.Errorf("keys set-tier: key id %q is not a UUID: %w", keyID, errUsage)
	}
	t, err := domain.ParseTier(tier)
	if err != nil {
		return fmt.Errorf("keys set-tier: %w", err)
	}
	return withKeys(ctx, cfg, func(store *postgres.EventStore, _ *pgxpool.Pool) error {
		if err := commands.NewChangeKeyTierHandler(store, time.Now).Handle(ctx, commands.ChangeKeyTier{KeyID: id, Tier: t, ChangedBy: defaultActor()}); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s is %s\n", id, t)
		return nil
	})
}

// withKeys runs fn, then brings the api_keys table up to date so that what
// fn changed is listed, and used by a running server, at once.
func withKeys(ctx context.Context, cfg Config, fn func(*postgres.EventStore, *pgxpool.Pool) error) error {
	pool, err := postgres.Connect(ctx, postgres.PoolConfig{URL: cfg.DatabaseURL, MaxConns: 4})
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := requireMigrated(ctx, pool); err != nil {
		return err
	}
	runner, err := projections.NewRunner(pool, projections.Config{}, projections.APIKeys{})
	if err != nil {
		return err
	}
	// Catch up first too: list shows keys even when no server runs.
	if err := runner.CatchUp(ctx); err != nil {
		return fmt.Errorf("update api_keys: %w", err)
	}
	if err := fn(postgres.NewEventStore(pool), pool); err != nil {
		return err
	}
	if err := runner.CatchUp(ctx); err != nil {
		return fmt.Errorf("update api_keys: %w", err)
	}
	wakeServices(ctx, pool)
	return nil
}

func optTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
