package queries

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// MaxSearchResults bounds a search's nodes.
const MaxSearchResults = 100

// SearchAnswer is what Search finds: the listed nodes (models, sources, seeds, snapshots, exposures) whose names or
// descriptions hold the words asked, the best first.
type SearchAnswer struct {
	Query string `json:"query"`
	Nodes []Node `json:"nodes"`
}

// Search finds the nodes whose name, qualified name or label holds the words of text (each word in a name counts
// twice) or whose description does, the most words first, then by name; at most limit (MaxSearchResults when 0 or
// more). Words are parameters of the description match, never SQL.
func (r *Reader) Search(ctx context.Context, text string, limit int) (SearchAnswer, error) {
	a := SearchAnswer{Query: text, Nodes: []Node{}}
	words := strings.FieldsFunc(strings.ToLower(text), func(c rune) bool {
		return !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != '_' && c != '.'
	})
	words = slices.DeleteFunc(words, func(w string) bool { return len([]rune(w)) < 2 })
	if len(words) == 0 {
		return a, nil
	}
	if limit <= 0 || limit > MaxSearchResults {
		limit = MaxSearchResults
	}
	return inSnapshot(ctx, r, func(r *Reader) (SearchAnswer, error) {
		c, err := r.catalog(ctx)
		if err != nil {
			return a, err
		}
		score := map[string]int{}
		for _, n := range c.nodes {
			names := strings.ToLower(n.Name + " " + n.qualifiedKey + " " + n.label)
			for _, w := range words {
				if strings.Contains(names, w) {
					score[n.UniqueID] += 2
				}
			}
		}
		for _, w := range words {
			rows, err := r.q.QueryContext(ctx, `SELECT unique_id FROM nodes WHERE instr(lower(description), ?) > 0`, w)
			if err != nil {
				return a, fmt.Errorf("search descriptions: %w", err)
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return a, fmt.Errorf("search descriptions: %w", err)
				}
				if c.byID[id] != nil {
					score[id]++
				}
			}
			if err := rows.Close(); err != nil {
				return a, fmt.Errorf("search descriptions: %w", err)
			}
		}
		ids := make([]string, 0, len(score))
		for id := range score {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(x, y string) int {
			return cmp.Or(score[y]-score[x], strings.Compare(c.byID[x].Name, c.byID[y].Name), strings.Compare(x, y))
		})
		for _, id := range ids[:min(len(ids), limit)] {
			a.Nodes = append(a.Nodes, c.byID[id].Node)
		}
		return a, nil
	})
}
