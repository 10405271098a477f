// Package small is what TestCheck builds: two functions that inline.
package small

type box struct{ n int }

func (b *box) get() int { return b.n }

func twice(n int) int { return 2 * n }
