// Package sqslocal is the local stand-in for Amazon SQS FIFO queues: an HTTP server, started
// in-process by local mode and the tests, that speaks the SQS JSON protocol the AWS SDK's SQS
// client uses (X-Amz-Target: AmazonSQS.<Action>), so the application's code makes the same
// calls as in AWS, through the same client.
//
// Why not a packaged stand-in: goaws v0.4.5 (the module proxy's newest) speaks only the older
// query protocol, which the SDK's SQS client no longer sends, and its FIFO handling loses the
// group locks (locking one group replaces the map of locked groups, so two endpoints in flight
// unlock each other) and marks a message of a locked group in flight without returning it.
// sqslite (npm) is query-protocol too and serves one group at a time. ElasticMQ is not on a
// registry these machines reach.
//
// What it does, as SQS documents FIFO queues: messages of one group are received in the order
// they were sent, and no message of a group is received while another of that group is in
// flight (received, neither deleted nor visible again); messages of other groups are not held
// back by it. A received message is in flight for the queue's visibility timeout, or what
// ChangeMessageVisibility (at most 12 hours) sets, then visible again with a new receipt
// handle needed; receiving counts, and a message received more than a redrive policy's
// maxReceiveCount times moves to the dead-letter queue. A MessageDeduplicationId seen in the
// last 5 minutes is accepted and dropped. Long polls (WaitTimeSeconds) wait for a message.
//
// With a file (StartPersistent), the queues and their messages are written there after every
// change and read back at the start, every message visible again (as after a crash: their
// visibility would have lapsed), so `make run` keeps its webhook jobs across restarts.
//
// What it does not: standard queues, per-message delays, message attributes, batches of sends,
// permissions. Only the actions the application and its tests call are served; any other
// answers InvalidAction.
package sqslocal

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Limits of SQS that the stand-in keeps.
const (
	// MaxVisibility is the longest a message can be kept in flight (12 hours).
	MaxVisibility = 12 * time.Hour
	// DedupWindow is how long a deduplication id is remembered.
	DedupWindow = 5 * time.Minute
	// MaxWait is the longest long poll.
	MaxWait = 20 * time.Second
	// MaxBatch is the most messages one receive returns.
	MaxBatch = 10
	account  = "000000000000"
	region   = "local"
)

// Server is a running stand-in.
type Server struct {
	// Endpoint is its base URL, http://127.0.0.1:port.
	Endpoint string
	srv      *http.Server

	mu      sync.Mutex
	queues  map[string]*queue // by name
	changed chan struct{}     // closed and replaced on every change
	seq     int64
	now     func() time.Time
	file    string
}

type queue struct {
	name, url, arn string
	visibility     time.Duration
	contentDedup   bool
	dlqARN         string
	maxReceives    int
	msgs           []*message
	dedup          map[string]dedupEntry
}

type dedupEntry struct {
	id string
	at time.Time
}

type message struct {
	id, body, group, dedupID, seq string
	sent                          time.Time
	firstReceive                  time.Time
	receives                      int
	receipt                       string    // "" when not in flight
	visibleAt                     time.Time // while in flight
}

// Start serves a stand-in on addr ("127.0.0.1:0" for a free port) until ctx ends, in memory.
func Start(ctx context.Context, addr string) (*Server, error) {
	return StartPersistent(ctx, addr, "")
}

// StartPersistent is Start keeping the queues in file ("" for none).
func StartPersistent(ctx context.Context, addr, file string) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sqslocal: listen on %s: %w", addr, err)
	}
	s := &Server{
		Endpoint: "http://" + l.Addr().String(),
		queues:   map[string]*queue{},
		changed:  make(chan struct{}),
		now:      time.Now,
		file:     file,
	}
	if err := s.load(); err != nil {
		l.Close()
		return nil, err
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	go func() {
		<-ctx.Done()
		_ = s.srv.Close()
	}()
	return s, nil
}

// apiError is an SQS error as the JSON protocol carries it.
type apiError struct {
	status      int
	code, query string
	msg         string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errInvalid(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValue", fmt.Sprintf(format, args...)}
}

var errNoQueue = &apiError{http.StatusBadRequest, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	if r.Method != http.MethodPost || !ok {
		writeError(w, &apiError{http.StatusBadRequest, "InvalidAction", "InvalidAction", "only the SQS JSON protocol is served"})
		return
	}
	var in map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, errInvalid("the body is not JSON: %v", err))
		return
	}
	var out any
	var err error
	switch action {
	case "CreateQueue":
		out, err = s.createQueue(in)
	case "GetQueueUrl":
		out, err = s.getQueueURL(in)
	case "GetQueueAttributes":
		out, err = s.getQueueAttributes(in)
	case "SendMessage":
		out, err = s.sendMessage(in)
	case "ReceiveMessage":
		out, err = s.receiveMessage(r.Context(), in)
	case "DeleteMessage":
		out, err = s.deleteMessage(in)
	case "DeleteMessageBatch":
		out, err = s.deleteMessageBatch(in)
	case "ChangeMessageVisibility":
		out, err = s.changeVisibility(in)
	default:
		err = &apiError{http.StatusBadRequest, "InvalidAction", "InvalidAction", "the stand-in does not serve " + action}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

func writeError(w http.ResponseWriter, err error) {
	e, ok := err.(*apiError)
	if !ok {
		e = &apiError{http.StatusInternalServerError, "InternalError", "InternalError", err.Error()}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-query-error", e.query+";Sender")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + e.code, "message": e.msg})
}

func str(in map[string]json.RawMessage, key string) string {
	var v string
	_ = json.Unmarshal(in[key], &v)
	return v
}

func num(in map[string]json.RawMessage, key string) (int, bool) {
	var v int
	if json.Unmarshal(in[key], &v) != nil {
		return 0, false
	}
	return v, true
}

// notify wakes the long polls and saves the queues; call with s.mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
	s.save()
}

// saved is the file's form of the queues: names and settings, and the messages in order.
type saved struct {
	Seq    int64
	Queues []savedQueue
}

type savedQueue struct {
	Name, DLQName     string
	VisibilitySeconds int
	ContentDedup      bool
	MaxReceives       int
	Messages          []savedMessage
}

type savedMessage struct {
	ID, Body, Group, DedupID, Seq string
	Sent                          time.Time
	Receives                      int
}

// save writes the queues to the file, if any; call with s.mu held. A failure is ignored: the
// queues still work, only a restart would lose them.
func (s *Server) save() {
	if s.file == "" {
		return
	}
	out := saved{Seq: s.seq}
	for _, q := range s.queues {
		sq := savedQueue{Name: q.name, VisibilitySeconds: int(q.visibility / time.Second), ContentDedup: q.contentDedup, MaxReceives: q.maxReceives}
		if d := s.byARN(q.dlqARN); d != nil {
			sq.DLQName = d.name
		}
		for _, m := range q.msgs {
			sq.Messages = append(sq.Messages, savedMessage{m.id, m.body, m.group, m.dedupID, m.seq, m.sent, m.receives})
		}
		out.Queues = append(out.Queues, sq)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return
	}
	tmp := s.file + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		_ = os.Rename(tmp, s.file)
	}
}

// load reads the queues back from the file, if there is one.
func (s *Server) load() error {
	if s.file == "" {
		return nil
	}
	b, err := os.ReadFile(s.file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqslocal: %w", err)
	}
	var in saved
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("sqslocal: read %s: %w", s.file, err)
	}
	s.seq = in.Seq
	for _, sq := range in.Queues {
		q := s.newQueue(sq.Name)
		q.visibility, q.contentDedup, q.maxReceives = time.Duration(sq.VisibilitySeconds)*time.Second, sq.ContentDedup, sq.MaxReceives
		if sq.DLQName != "" {
			q.dlqARN = s.newQueue(sq.DLQName).arn
		}
		for _, m := range sq.Messages {
			q.msgs = append(q.msgs, &message{id: m.ID, body: m.Body, group: m.Group, dedupID: m.DedupID, seq: m.Seq, sent: m.Sent, receives: m.Receives})
		}
		s.queues[q.name] = q
	}
	return nil
}

// newQueue returns a queue named name with the defaults, not registered.
func (s *Server) newQueue(name string) *queue {
	return &queue{
		name: name, url: s.Endpoint + "/" + account + "/" + name, arn: "arn:aws:sqs:" + region + ":" + account + ":" + name,
		visibility: 30 * time.Second, dedup: map[string]dedupEntry{},
	}
}

// queueOf returns the queue a request's QueueUrl names; call with s.mu held.
func (s *Server) queueOf(in map[string]json.RawMessage) (*queue, error) {
	u := str(in, "QueueUrl")
	q, ok := s.queues[u[strings.LastIndex(u, "/")+1:]]
	if !ok || q.url != u {
		return nil, errNoQueue
	}
	return q, nil
}

func (s *Server) createQueue(in map[string]json.RawMessage) (any, error) {
	name := str(in, "QueueName")
	var attrs map[string]string
	_ = json.Unmarshal(in["Attributes"], &attrs)
	if !strings.HasSuffix(name, ".fifo") || attrs["FifoQueue"] != "true" {
		return nil, errInvalid("the stand-in serves FIFO queues only: a name ending in .fifo and FifoQueue true")
	}
	q := s.newQueue(name)
	q.contentDedup = attrs["ContentBasedDeduplication"] == "true"
	if v, ok := attrs["VisibilityTimeout"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || time.Duration(n)*time.Second > MaxVisibility {
			return nil, errInvalid("VisibilityTimeout %q", v)
		}
		q.visibility = time.Duration(n) * time.Second
	}
	if v, ok := attrs["RedrivePolicy"]; ok {
		var p struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     any    `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(v), &p); err != nil {
			return nil, errInvalid("RedrivePolicy: %v", err)
		}
		n, err := strconv.Atoi(fmt.Sprint(p.MaxReceiveCount))
		if err != nil || n < 1 {
			return nil, errInvalid("RedrivePolicy maxReceiveCount %v", p.MaxReceiveCount)
		}
		q.dlqARN, q.maxReceives = p.DeadLetterTargetArn, n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.queues[name]; ok {
		return map[string]string{"QueueUrl": old.url}, nil
	}
	s.queues[name] = q
	s.save()
	return map[string]string{"QueueUrl": q.url}, nil
}

func (s *Server) getQueueURL(in map[string]json.RawMessage) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[str(in, "QueueName")]
	if !ok {
		return nil, errNoQueue
	}
	return map[string]string{"QueueUrl": q.url}, nil
}

func (s *Server) getQueueAttributes(in map[string]json.RawMessage) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueOf(in)
	if err != nil {
		return nil, err
	}
	now := s.now()
	visible, inFlight := 0, 0
	for _, m := range q.msgs {
		if m.inFlight(now) {
			inFlight++
		} else {
			visible++
		}
	}
	return map[string]map[string]string{"Attributes": {
		"QueueArn": q.arn, "FifoQueue": "true",
		"VisibilityTimeout":                     strconv.Itoa(int(q.visibility / time.Second)),
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inFlight),
	}}, nil
}

func (s *Server) sendMessage(in map[string]json.RawMessage) (any, error) {
	body, group, dedupID := str(in, "MessageBody"), str(in, "MessageGroupId"), str(in, "MessageDeduplicationId")
	if d, ok := num(in, "DelaySeconds"); ok && d != 0 {
		return nil, errInvalid("DelaySeconds: a FIFO queue has no per-message delay")
	}
	if body == "" || group == "" {
		return nil, &apiError{http.StatusBadRequest, "MissingParameter", "MissingParameter", "MessageBody and MessageGroupId are required"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueOf(in)
	if err != nil {
		return nil, err
	}
	if dedupID == "" {
		if !q.contentDedup {
			return nil, errInvalid("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
		sum := sha256.Sum256([]byte(body))
		dedupID = hex.EncodeToString(sum[:])
	}
	now := s.now()
	for k, e := range q.dedup {
		if now.Sub(e.at) >= DedupWindow {
			delete(q.dedup, k)
		}
	}
	sum := md5.Sum([]byte(body))
	if e, ok := q.dedup[dedupID]; ok {
		return map[string]string{"MessageId": e.id, "MD5OfMessageBody": hex.EncodeToString(sum[:])}, nil
	}
	s.seq++
	m := &message{id: newID(), body: body, group: group, dedupID: dedupID, seq: fmt.Sprintf("%020d", s.seq), sent: now}
	q.msgs = append(q.msgs, m)
	q.dedup[dedupID] = dedupEntry{m.id, now}
	s.notify()
	return map[string]string{"MessageId": m.id, "MD5OfMessageBody": hex.EncodeToString(sum[:]), "SequenceNumber": m.seq}, nil
}

func (m *message) inFlight(now time.Time) bool {
	return m.receipt != "" && now.Before(m.visibleAt)
}

// take receives up to max messages of q at now, FIFO's way; call with s.mu held.
func (s *Server) take(q *queue, max int, visibility time.Duration, now time.Time) []*message {
	blocked := map[string]bool{}
	for _, m := range q.msgs {
		if m.inFlight(now) {
			blocked[m.group] = true
		}
	}
	var got []*message
	var keep []*message
	defer func() {
		if len(got) > 0 || len(keep) < len(q.msgs) {
			s.save() // receive counts, dead letters
		}
	}()
	for _, m := range q.msgs {
		if len(got) >= max || blocked[m.group] {
			keep = append(keep, m)
			continue
		}
		if q.maxReceives > 0 && m.receives >= q.maxReceives {
			if dlq := s.byARN(q.dlqARN); dlq != nil {
				m.receipt = ""
				dlq.msgs = append(dlq.msgs, m)
				continue
			}
		}
		m.receives++
		if m.firstReceive.IsZero() {
			m.firstReceive = now
		}
		m.receipt, m.visibleAt = m.id+"#"+newID(), now.Add(visibility)
		got = append(got, m)
		keep = append(keep, m)
	}
	q.msgs = keep
	return got
}

func (s *Server) byARN(arn string) *queue {
	for _, q := range s.queues {
		if q.arn == arn {
			return q
		}
	}
	return nil
}

// nextVisible is when the next in-flight message of q becomes visible again; zero if none.
func (q *queue) nextVisible(now time.Time) time.Time {
	var next time.Time
	for _, m := range q.msgs {
		if m.inFlight(now) && (next.IsZero() || m.visibleAt.Before(next)) {
			next = m.visibleAt
		}
	}
	return next
}

type received struct {
	MessageID     string            `json:"MessageId"`
	ReceiptHandle string            `json:"ReceiptHandle"`
	MD5OfBody     string            `json:"MD5OfBody"`
	Body          string            `json:"Body"`
	Attributes    map[string]string `json:"Attributes"`
}

func (s *Server) receiveMessage(ctx context.Context, in map[string]json.RawMessage) (any, error) {
	max, ok := num(in, "MaxNumberOfMessages")
	if !ok {
		max = 1
	}
	if max < 1 || max > MaxBatch {
		return nil, errInvalid("MaxNumberOfMessages %d", max)
	}
	wait, _ := num(in, "WaitTimeSeconds")
	if wait < 0 || time.Duration(wait)*time.Second > MaxWait {
		return nil, errInvalid("WaitTimeSeconds %d", wait)
	}
	s.mu.Lock()
	q, err := s.queueOf(in)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	visibility := q.visibility
	if v, ok := num(in, "VisibilityTimeout"); ok {
		if v < 0 || time.Duration(v)*time.Second > MaxVisibility {
			s.mu.Unlock()
			return nil, errInvalid("VisibilityTimeout %d", v)
		}
		visibility = time.Duration(v) * time.Second
	}
	deadline := s.now().Add(time.Duration(wait) * time.Second)
	var got []*message
	for {
		now := s.now()
		got = s.take(q, max, visibility, now)
		if len(got) > 0 || !now.Before(deadline) {
			break
		}
		// Wait for a send or a change, for the next in-flight message to come back, or for
		// the end of the poll, whichever is first.
		until := deadline
		if next := q.nextVisible(now); !next.IsZero() && next.Before(until) {
			until = next
		}
		changed := s.changed
		s.mu.Unlock()
		t := time.NewTimer(until.Sub(now))
		select {
		case <-changed:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		t.Stop()
		s.mu.Lock()
	}
	out := make([]received, 0, len(got))
	for _, m := range got {
		sum := md5.Sum([]byte(m.body))
		out = append(out, received{
			MessageID: m.id, ReceiptHandle: m.receipt, MD5OfBody: hex.EncodeToString(sum[:]), Body: m.body,
			Attributes: map[string]string{
				"MessageGroupId": m.group, "MessageDeduplicationId": m.dedupID, "SequenceNumber": m.seq,
				"ApproximateReceiveCount":          strconv.Itoa(m.receives),
				"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstReceive.UnixMilli(), 10),
			},
		})
	}
	s.mu.Unlock()
	return map[string][]received{"Messages": out}, nil
}

// inFlightBy returns the message of q in flight under receipt; call with s.mu held.
func (q *queue) inFlightBy(receipt string, now time.Time) (int, bool) {
	for i, m := range q.msgs {
		if receipt != "" && m.receipt == receipt && m.inFlight(now) {
			return i, true
		}
	}
	return 0, false
}

var errReceipt = &apiError{http.StatusBadRequest, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "The receipt handle is not that of a message in flight."}

func (s *Server) deleteMessage(in map[string]json.RawMessage) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueOf(in)
	if err != nil {
		return nil, err
	}
	if err := s.delete(q, str(in, "ReceiptHandle")); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Server) delete(q *queue, receipt string) error {
	i, ok := q.inFlightBy(receipt, s.now())
	if !ok {
		return errReceipt
	}
	q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
	s.notify()
	return nil
}

func (s *Server) deleteMessageBatch(in map[string]json.RawMessage) (any, error) {
	var entries []struct{ Id, ReceiptHandle string }
	if err := json.Unmarshal(in["Entries"], &entries); err != nil || len(entries) == 0 || len(entries) > MaxBatch {
		return nil, errInvalid("Entries: 1 to 10 entries")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueOf(in)
	if err != nil {
		return nil, err
	}
	type failed struct {
		ID          string `json:"Id"`
		Code        string `json:"Code"`
		Message     string `json:"Message"`
		SenderFault bool   `json:"SenderFault"`
	}
	ok := []map[string]string{}
	bad := []failed{}
	for _, e := range entries {
		if err := s.delete(q, e.ReceiptHandle); err != nil {
			bad = append(bad, failed{e.Id, errReceipt.code, errReceipt.msg, true})
			continue
		}
		ok = append(ok, map[string]string{"Id": e.Id})
	}
	return map[string]any{"Successful": ok, "Failed": bad}, nil
}

func (s *Server) changeVisibility(in map[string]json.RawMessage) (any, error) {
	v, ok := num(in, "VisibilityTimeout")
	if !ok || v < 0 || time.Duration(v)*time.Second > MaxVisibility {
		return nil, errInvalid("VisibilityTimeout must be 0 to 43200 seconds")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueOf(in)
	if err != nil {
		return nil, err
	}
	now := s.now()
	i, found := q.inFlightBy(str(in, "ReceiptHandle"), now)
	if !found {
		return nil, &apiError{http.StatusBadRequest, "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", "The message is not in flight."}
	}
	// As in SQS, the new timeout counts from now, not from the receive.
	q.msgs[i].visibleAt = now.Add(time.Duration(v) * time.Second)
	s.notify()
	return struct{}{}, nil
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// EnsureDeliveryQueue creates, through client, the FIFO queue name (ending in .fifo) with the
// visibility timeout given and a dead-letter queue (name with "-dead" before .fifo) that
// takes a message received more than maxReceives times, as the stack defines the webhook
// delivery queue; it returns the queue's URL and ARN. Creating an existing queue again
// returns it.
func EnsureDeliveryQueue(ctx context.Context, client *sqs.Client, name string, visibilitySeconds, maxReceives int) (url, arn string, err error) {
	dead := strings.TrimSuffix(name, ".fifo") + "-dead.fifo"
	dout, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(dead), Attributes: map[string]string{"FifoQueue": "true"}})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", dead, err)
	}
	deadARN, err := queueARN(ctx, client, aws.ToString(dout.QueueUrl))
	if err != nil {
		return "", "", err
	}
	policy, _ := json.Marshal(map[string]any{"deadLetterTargetArn": deadARN, "maxReceiveCount": maxReceives})
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		"FifoQueue": "true", "VisibilityTimeout": strconv.Itoa(visibilitySeconds), "RedrivePolicy": string(policy),
	}})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	url = aws.ToString(out.QueueUrl)
	arn, err = queueARN(ctx, client, url)
	return url, arn, err
}

func queueARN(ctx context.Context, client *sqs.Client, url string) (string, error) {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", fmt.Errorf("queue %s: %w", url, err)
	}
	return out.Attributes[string(types.QueueAttributeNameQueueArn)], nil
}
