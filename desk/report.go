package desk

import (
	"context"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/kioi/maildesk/store"
)

// Report is what `maildesk report` prints: the figures of a period, one
// object per subject, so that more (tickets, deadlines kept, corrections)
// can be added beside Survey.
type Report struct {
	From   time.Time    `json:"from"` // inclusive
	To     time.Time    `json:"to"`   // exclusive
	Survey SurveyReport `json:"survey"`
}

// SurveyReport is the satisfaction survey's figures over the surveys sent
// in the period, each with its current rating (a replaced one does not
// count twice).
type SurveyReport struct {
	Sent         int     `json:"sent"`
	Responses    int     `json:"responses"`
	ResponseRate float64 `json:"response_rate"` // responses / sent, 0..1
	Average      float64 `json:"average"`       // mean rating, 1..5; 0 without responses
	// Score100 is the average on the 100-point scale Korean public
	// satisfaction surveys publish: (average - 1) × 25.
	Score100     float64          `json:"score100"`
	Distribution map[string]int   `json:"distribution"` // "1".."5": responses with that rating
	ByHandler    []HandlerSurveys `json:"by_handler"`   // by handler at the time of rating, by id
}

// HandlerSurveys is one handler's ratings.
type HandlerSurveys struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Responses int     `json:"responses"`
	Average   float64 `json:"average"`
}

// BuildReport works out the report of [from, to) from the database.
func BuildReport(ctx context.Context, st *store.Store, from, to time.Time) (*Report, error) {
	r := &Report{From: from, To: to}
	err := st.Read(ctx, func(tx *store.Tx) error {
		c, err := tx.SurveysSent(ctx, from, to)
		if err != nil {
			return err
		}
		r.Survey = surveyFigures(c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func surveyFigures(c store.SurveyCohort) SurveyReport {
	s := SurveyReport{Sent: c.Sent, Responses: len(c.Ratings), Distribution: map[string]int{}, ByHandler: []HandlerSurveys{}}
	for n := 1; n <= 5; n++ {
		s.Distribution[strconv.Itoa(n)] = 0
	}
	type acc struct {
		name     string
		n, total int
	}
	by := map[string]*acc{}
	total := 0
	for _, rt := range c.Ratings {
		total += rt.Rating
		s.Distribution[strconv.Itoa(rt.Rating)]++
		a := by[rt.Handler.ID]
		if a == nil {
			a = &acc{}
			by[rt.Handler.ID] = a
		}
		a.name = rt.Handler.Name // the newest rating's name
		a.n++
		a.total += rt.Rating
	}
	if s.Sent > 0 {
		s.ResponseRate = round(float64(s.Responses)/float64(s.Sent), 4)
	}
	if s.Responses > 0 {
		avg := float64(total) / float64(s.Responses)
		s.Average, s.Score100 = round(avg, 2), round((avg-1)*25, 1)
	}
	for id, a := range by {
		s.ByHandler = append(s.ByHandler, HandlerSurveys{ID: id, Name: a.name, Responses: a.n, Average: round(float64(a.total)/float64(a.n), 2)})
	}
	sort.Slice(s.ByHandler, func(i, j int) bool { return s.ByHandler[i].ID < s.ByHandler[j].ID })
	return s
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}
