// Package lru is a small, concurrency-safe least-recently-used cache whose
// entries also expire, so a value changed by another instance is seen
// again after at most the TTL.
package lru

import (
	"container/list"
	"sync"
	"time"
)

// Cache maps K to V, holding at most Max entries for at most TTL each.
type Cache[K comparable, V any] struct {
	mu  sync.Mutex
	max int
	ttl time.Duration
	ll  *list.List
	m   map[K]*list.Element
	now func() time.Time
}

type entry[K comparable, V any] struct {
	key K
	val V
	at  time.Time
}

// New returns a cache of at most max entries living ttl each (0: forever).
func New[K comparable, V any](max int, ttl time.Duration) *Cache[K, V] {
	return &Cache[K, V]{max: max, ttl: ttl, ll: list.New(), m: map[K]*list.Element{}, now: time.Now}
}

// Get returns the value of k when present and fresh.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.m[k]
	if !ok {
		return zero, false
	}
	e := el.Value.(*entry[K, V])
	if c.ttl > 0 && c.now().Sub(e.at) > c.ttl {
		c.ll.Remove(el)
		delete(c.m, k)
		return zero, false
	}
	c.ll.MoveToFront(el)
	return e.val, true
}

// Put stores v under k, evicting the least recently used entry when full.
func (c *Cache[K, V]) Put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[k]; ok {
		el.Value = &entry[K, V]{key: k, val: v, at: c.now()}
		c.ll.MoveToFront(el)
		return
	}
	c.m[k] = c.ll.PushFront(&entry[K, V]{key: k, val: v, at: c.now()})
	if c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.m, last.Value.(*entry[K, V]).key)
	}
}

// Remove forgets k.
func (c *Cache[K, V]) Remove(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[k]; ok {
		c.ll.Remove(el)
		delete(c.m, k)
	}
}

// Len is the number of entries held.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
