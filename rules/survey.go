package rules

import (
	"time"

	"github.com/kioi/maildesk/internal/tomlcheck"
)

// Closing is how a category's tickets close and are surveyed.
type Closing struct {
	// AutoClose is how long after an answer, on the category's clock, a
	// ticket the customer did not write to again closes by itself; 0
	// never (auto_close = "0"). Default DefaultAutoClose.
	AutoClose time.Duration
	// Survey says whether a closed ticket's customer is asked for a
	// rating (survey = true).
	Survey bool
	// SurveyDelay is how long after the close the survey goes out,
	// calendar time; 0 at the close. Default DefaultSurveyDelay.
	SurveyDelay time.Duration
	// SurveyInterval is how long an address that got a survey gets no
	// other (from any category). Default DefaultSurveyInterval.
	SurveyInterval time.Duration
}

// The closing defaults.
const (
	DefaultAutoClose      = 7 * 24 * time.Hour // "7d" on the category's clock
	DefaultSurveyDelay    = 24 * time.Hour
	DefaultSurveyInterval = 30 * 24 * time.Hour
)

type closingFile struct {
	AutoClose      string `toml:"auto_close"`
	Survey         *bool  `toml:"survey"`
	SurveyDelay    string `toml:"survey_delay"`
	SurveyInterval string `toml:"survey_interval"`
}

// closing checks a category's closing keys at key; clock is its clock.
func (f *tomlFile) closing(key string, raw closingFile, clock string) Closing {
	c := Closing{AutoClose: DefaultAutoClose, SurveyDelay: DefaultSurveyDelay, SurveyInterval: DefaultSurveyInterval}
	if clock == ClockWorkingHours {
		c.AutoClose = 7 * workingDay
	}
	if raw.Survey != nil {
		c.Survey = *raw.Survey
	}
	if raw.AutoClose != "" {
		if raw.AutoClose == "0" {
			c.AutoClose = 0
		} else if d, err := window(raw.AutoClose, clock); err != nil {
			f.Addf(key+".auto_close", "auto_close: %v (\"0\": never)", err)
		} else if d < 0 {
			f.Addf(key+".auto_close", "auto_close %q must not be negative (\"0\": never)", raw.AutoClose)
		} else {
			c.AutoClose = d
		}
	}
	for _, k := range []struct {
		name, value string
		to          *time.Duration
	}{{"survey_delay", raw.SurveyDelay, &c.SurveyDelay}, {"survey_interval", raw.SurveyInterval, &c.SurveyInterval}} {
		if k.value == "" {
			continue
		}
		d, err := tomlcheck.ParseDuration(k.value)
		switch {
		case err != nil:
			f.Addf(key+"."+k.name, "%s: %v", k.name, err)
		case d < 0:
			f.Addf(key+"."+k.name, "%s %q must not be negative", k.name, k.value)
		default:
			*k.to = d
		}
	}
	return c
}

// AutoCloseAt returns when a ticket answered at t closes by itself if the
// customer does not write again, counted on the category's clock; false
// when the category never closes tickets by itself.
func (c *Category) AutoCloseAt(t time.Time) (time.Time, bool) {
	if c.AutoClose <= 0 {
		return time.Time{}, false
	}
	return c.calendar().Add(t, c.AutoClose, c.Clock), true
}

// After returns d after t on the category's clock: the 48-hour re-contact
// window of a dissatisfied rating.
func (c *Category) After(t time.Time, d time.Duration) time.Time {
	return c.calendar().Add(t, d, c.Clock)
}
