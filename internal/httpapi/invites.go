package httpapi

type PersonJSON struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}
