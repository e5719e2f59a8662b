package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paperpicks/paperpicks"
)

func (s *Store) GetSetting(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paperpicks.NotFound("setting", name)
	}
	if err != nil {
		return nil, classify(fmt.Errorf("get setting %s: %w", name, err))
	}
	return v, nil
}

// InitSetting inserts unless present, then reads what won: under READ
// COMMITTED a concurrent first insert is visible once ON CONFLICT waited
// for it.
func (s *Store) InitSetting(ctx context.Context, name string, value []byte) ([]byte, error) {
	var stored []byte
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
			return fmt.Errorf("init setting %s: %w", name, err)
		}
		return tx.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&stored)
	})
	if err != nil {
		return nil, classify(err)
	}
	return stored, nil
}

func (s *Store) PutSetting(ctx context.Context, name string, value []byte) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return classify(fmt.Errorf("put setting %s: %w", name, err))
	}
	return nil
}
