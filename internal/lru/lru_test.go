package lru

import (
	"testing"
	"time"
)

func TestEvictionAndExpiry(t *testing.T) {
	c := New[string, int](2, time.Minute)
	now := time.Unix(0, 0)
	c.now = func() time.Time { return now }
	c.Put("a", 1)
	c.Put("b", 2)
	c.Get("a") // a is now the most recent
	c.Put("c", 3)
	if _, ok := c.Get("b"); ok {
		t.Error("b should have been evicted as least recently used")
	}
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Errorf("a = %v, %v", v, ok)
	}
	now = now.Add(2 * time.Minute)
	if _, ok := c.Get("a"); ok {
		t.Error("a outlived its TTL")
	}
	c.Put("d", 4)
	c.Remove("d")
	if _, ok := c.Get("d"); ok || c.Len() != 1 {
		t.Errorf("after Remove: len %d", c.Len())
	}
}
