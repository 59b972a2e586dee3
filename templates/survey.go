package templates

import "time"

// The survey's templates (issue 16). Their data types live here, beside
// templates.go's, and docs/templates.md documents them the same way.

// Survey is the data of the "survey" template: after a ticket closes, its
// customer is asked for a rating from 1 to 5, by replying with the number.
// There are no web links: mail scanners that open links would rate.
type Survey struct {
	Tag        string // "[FTA-PASS #12]"
	Subject    string
	Category   string
	CategoryEn string
	Customer   string
	Handler    Contact   // who handled the inquiry
	Closed     time.Time // when it closed; zone set
	Mailbox    string    // published address the reply goes to
	// Links are the one-click answers, 5 (매우 만족) first: a mailto: URL
	// with the rating in the subject and the body.
	Links []SurveyLink
}

// SurveyLink is one answer of a survey.
type SurveyLink struct {
	Rating  int    // 1 to 5
	Label   string // "매우 만족"
	LabelEn string // "Very satisfied"
	Mailto  string // mailto:fta-pass@origin.or.kr?subject=…&body=5
}

// SurveyThanks is the data of "survey-thanks": the one short thank-you a
// customer gets for a rating.
type SurveyThanks struct {
	Tag      string
	Subject  string
	Customer string
	Rating   int
	Label    string // the rating in words, Korean
	LabelEn  string
	// Reopened: the rating was 1 or 2, and the handler will contact the
	// customer again by Due.
	Reopened bool
	Handler  Contact
	Due      time.Time // zone set; zero unless Reopened
	Mailbox  string
}

// SurveyAlert is the data of "survey-alert": a category's supervisor is
// told of a rating of 1 or 2, for which the ticket reopened.
type SurveyAlert struct {
	Supervisor Contact
	Handler    Contact
	Tag        string
	TicketID   int64
	Subject    string
	Category   string
	CategoryEn string
	Customer   string
	Rating     int
	Label      string
	LabelEn    string
	Comment    string    // what the customer wrote beside the rating
	Due        time.Time // the re-contact deadline; zone set
}
